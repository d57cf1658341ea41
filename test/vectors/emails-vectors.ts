// The email rule's vectors (protocol.md §3, "Email addresses"): spellings the rule accepts, each
// with the normal form typed out here by hand, not computed by the code under test, and
// addresses it refuses, each with the name of its refusal.
import type { EmailRefusal } from '@coffre/core/format';

export interface AcceptedEmail {
  name: string;
  input: string;
  normal: string;
}

export interface RefusedEmail {
  name: string;
  input: string;
  reason: EmailRefusal;
}

export interface EmailVectors {
  accepted: AcceptedEmail[];
  refused: RefusedEmail[];
}

const DOMAIN = '@example.org';
/** U+2474 is "(1)" in NFKC: one code point in, three out, to reach the limit from below it. */
const PAREN_ONE = '\u2474';

const accepted: AcceptedEmail[] = [
  {
    name: 'white space at the ends trimmed, upper case lowered',
    input: '  Alice.Example@Example.ORG ',
    normal: 'alice.example@example.org',
  },
  {
    name: 'ideographic and no-break spaces at the ends trimmed',
    input: `\u3000alice${DOMAIN}\u00a0`,
    normal: `alice${DOMAIN}`,
  },
  {
    name: 'NFD: e and a combining acute',
    input: `rene\u0301${DOMAIN}`,
    normal: `ren\u00e9${DOMAIN}`,
  },
  { name: 'NFC as it is', input: `ren\u00e9${DOMAIN}`, normal: `ren\u00e9${DOMAIN}` },
  { name: 'an accented capital', input: 'REN\u00c9@EXAMPLE.ORG', normal: `ren\u00e9${DOMAIN}` },
  {
    name: 'fullwidth letters',
    input: `\uff41\uff4c\uff49\uff43\uff45${DOMAIN}`,
    normal: `alice${DOMAIN}`,
  },
  {
    name: 'a fullwidth @ and full stop',
    input: 'alice\uff20example\uff0eorg',
    normal: `alice${DOMAIN}`,
  },
  {
    name: 'fullwidth capitals, all through',
    input:
      '\uff21\uff2c\uff29\uff23\uff25\uff20\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25\uff0e\uff2f\uff32\uff27',
    normal: `alice${DOMAIN}`,
  },
  {
    name: 'halfwidth Katakana',
    input: '\uff80\uff9b\uff73@example.jp',
    normal: '\u30bf\u30ed\u30a6@example.jp',
  },
  { name: 'a mathematical bold a', input: `\u{1d41a}lice${DOMAIN}`, normal: `alice${DOMAIN}` },
  { name: 'a circled a', input: `\u24d0lice${DOMAIN}`, normal: `alice${DOMAIN}` },
  { name: 'the ligature fi', input: `\ufb01nn${DOMAIN}`, normal: `finn${DOMAIN}` },
  {
    name: 'a domain in Punycode',
    input: 'ivan@xn--e1afmkfd.xn--p1ai',
    normal: 'ivan@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444',
  },
  {
    name: 'a Punycode label with a basic part, in upper case',
    input: 'user@XN--BCHER-KVA.DE',
    normal: 'user@b\u00fccher.de',
  },
  {
    name: 'Cyrillic throughout, a combining breve composed',
    input: '\u0438\u0306\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444',
    normal: '\u0439\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444',
  },
  {
    name: 'Greek in capitals: lower case with a final sigma, not folded',
    input: '\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3@example.gr',
    normal: '\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2@example.gr',
  },
  {
    name: 'sharp s (U+00DF) stays as it is',
    input: 'stra\u00dfe@example.de',
    normal: 'stra\u00dfe@example.de',
  },
  {
    name: 'a capital sharp s (U+1E9E) is sharp s',
    input: 'STRA\u1e9eE@example.de',
    normal: 'stra\u00dfe@example.de',
  },
  { name: 'SS is ss, not sharp s', input: 'STRASSE@example.de', normal: 'strasse@example.de' },
  {
    name: 'Latin with Han, Hiragana and Katakana',
    input: '\u5c71\u7530\u305f\u308d\u3046\u30bfTaro@example.jp',
    normal: '\u5c71\u7530\u305f\u308d\u3046\u30bftaro@example.jp',
  },
  {
    name: 'Latin with Han and Hangul',
    input: '\ud64d\uae38\ub3d9hong\u6d2a@example.kr',
    normal: '\ud64d\uae38\ub3d9hong\u6d2a@example.kr',
  },
  {
    name: 'Devanagari letters with Devanagari digits',
    input: '\u0930\u093e\u092e\u0967\u0968\u0969@example.in',
    normal: '\u0930\u093e\u092e\u0967\u0968\u0969@example.in',
  },
  {
    name: 'Arabic letters with ASCII digits',
    input: '\u0639\u0644\u064a2024@example.com',
    normal: '\u0639\u0644\u064a2024@example.com',
  },
  {
    name: "ASCII's symbols, as before the rule",
    input: "o'hara+tag!#$%&*/=?^_`{|}~-@example.org",
    normal: "o'hara+tag!#$%&*/=?^_`{|}~-@example.org",
  },
  {
    name: 'a domain without a dot, as before the rule',
    input: 'root@localhost',
    normal: 'root@localhost',
  },
  {
    name: 'a normal form of 254 code points, the limit',
    input: `${'a'.repeat(239)}${PAREN_ONE}${DOMAIN}`,
    normal: `${'a'.repeat(239)}(1)${DOMAIN}`,
  },
];

/** An address with `char` inside its local part. */
const inside = (char: string) => `ali${char}ce${DOMAIN}`;

const refused: RefusedEmail[] = [
  { name: 'no @', input: 'alice.example.org', reason: 'not-an-address' },
  { name: 'two @', input: 'a@b@example.org', reason: 'not-an-address' },
  { name: 'a second @, fullwidth', input: 'a@b\uff20example.org', reason: 'not-an-address' },
  { name: 'an empty local part', input: DOMAIN, reason: 'not-an-address' },
  { name: 'an empty domain', input: 'alice@', reason: 'not-an-address' },
  {
    name: 'an ideographic full stop for a dot',
    input: 'alice@example\u3002org',
    reason: 'not-an-address',
  },
  { name: 'a hyphen look-alike', input: `jean\u2010luc${DOMAIN}`, reason: 'not-an-address' },
  { name: 'a symbol beyond ASCII', input: `alice\u2665${DOMAIN}`, reason: 'not-an-address' },
  { name: 'Punycode that does not decode', input: 'user@xn--zz.org', reason: 'not-an-address' },
  { name: 'Punycode of nothing', input: 'user@xn--.org', reason: 'not-an-address' },
  {
    name: 'Punycode of a fullwidth full stop',
    input: 'user@xn--ab-yu3n.org',
    reason: 'not-an-address',
  },
  {
    name: 'Punycode of another xn-- label',
    input: 'user@xn--xn--abc-.org',
    reason: 'not-an-address',
  },
  {
    name: 'a normal form of 255 code points, one past the limit',
    input: `${'a'.repeat(240)}${PAREN_ONE}${DOMAIN}`,
    reason: 'too-long',
  },
  { name: '255 code points of ASCII', input: `${'a'.repeat(243)}${DOMAIN}`, reason: 'too-long' },
  { name: 'a space inside', input: inside(' '), reason: 'invisible' },
  { name: 'a no-break space inside', input: inside('\u00a0'), reason: 'invisible' },
  { name: 'a tab inside', input: inside('\t'), reason: 'invisible' },
  { name: 'a line separator', input: inside('\u2028'), reason: 'invisible' },
  { name: 'a control character', input: inside('\u0007'), reason: 'invisible' },
  { name: 'a zero-width space', input: inside('\u200b'), reason: 'invisible' },
  { name: 'a zero-width non-joiner', input: inside('\u200c'), reason: 'invisible' },
  { name: 'a zero-width joiner', input: inside('\u200d'), reason: 'invisible' },
  { name: 'a word joiner', input: inside('\u2060'), reason: 'invisible' },
  { name: 'a zero-width no-break space inside', input: inside('\ufeff'), reason: 'invisible' },
  { name: 'a soft hyphen', input: inside('\u00ad'), reason: 'invisible' },
  { name: 'a left-to-right mark', input: inside('\u200e'), reason: 'invisible' },
  { name: 'a right-to-left mark', input: inside('\u200f'), reason: 'invisible' },
  { name: 'an Arabic letter mark', input: inside('\u061c'), reason: 'invisible' },
  { name: 'a left-to-right embedding', input: inside('\u202a'), reason: 'invisible' },
  { name: 'a right-to-left override', input: inside('\u202e'), reason: 'invisible' },
  { name: 'a first strong isolate', input: inside('\u2068'), reason: 'invisible' },
  { name: 'a pop directional isolate', input: inside('\u2069'), reason: 'invisible' },
  { name: 'a variation selector', input: inside('\ufe0f'), reason: 'invisible' },
  { name: 'a combining grapheme joiner', input: inside('\u034f'), reason: 'invisible' },
  { name: 'a Hangul filler', input: inside('\u3164'), reason: 'invisible' },
  { name: 'a halfwidth Hangul filler', input: inside('\uffa0'), reason: 'invisible' },
  { name: 'a Mongolian vowel separator', input: inside('\u180e'), reason: 'invisible' },
  { name: 'a tag character', input: inside('\u{e0061}'), reason: 'invisible' },
  { name: 'a private-use character', input: inside('\ue000'), reason: 'invisible' },
  { name: 'an unassigned code point', input: inside('\u0378'), reason: 'invisible' },
  { name: 'a lone surrogate', input: inside('\ud800'), reason: 'invisible' },
  {
    name: 'a zero-width space in the domain',
    input: 'alice@exam\u200bple.org',
    reason: 'invisible',
  },
  {
    name: 'a Cyrillic a (U+0430) among Latin letters',
    input: `\u0430lice${DOMAIN}`,
    reason: 'mixed-script',
  },
  {
    name: 'a Greek omicron (U+03BF) among Latin letters',
    input: `b\u03bfb${DOMAIN}`,
    reason: 'mixed-script',
  },
  {
    name: 'an Armenian oh (U+0585) among Latin letters',
    input: `g\u0585\u0585gle${DOMAIN}`,
    reason: 'mixed-script',
  },
  {
    name: 'a Cyrillic a (U+0430) in a Latin domain label',
    input: 'alice@ex\u0430mple.org',
    reason: 'mixed-script',
  },
  {
    name: 'the same label hidden in Punycode',
    input: 'alice@xn--exmple-4nf.org',
    reason: 'mixed-script',
  },
  {
    name: 'a Latin p in a Cyrillic domain label',
    input: 'ivan@p\u0440\u0438\u043c\u0435\u0440.\u0440\u0444',
    reason: 'mixed-script',
  },
  {
    name: 'Cyrillic with Greek',
    input: `\u0438\u0432\u0430\u043d\u03b1${DOMAIN}`,
    reason: 'mixed-script',
  },
  { name: 'Latin with Arabic', input: `ali\u0639${DOMAIN}`, reason: 'mixed-script' },
  { name: 'Hangul with Hiragana', input: '\ud64d\u3042@example.kr', reason: 'mixed-script' },
];

export function makeEmailVectors(): EmailVectors {
  return { accepted, refused };
}

/** The file's text: JSON with every character beyond printable ASCII escaped, so none hides. */
export function emailVectorsText(vectors: EmailVectors): string {
  const json = JSON.stringify(vectors, null, 2);
  // Code unit by code unit (no u flag), so a character past U+FFFF becomes its two escapes.
  const escaped = json.replace(
    /[^\x20-\x7e\n]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${escaped}\n`;
}
