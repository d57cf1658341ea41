import { FormatError } from './errors';
import { MAX_EMAIL_LENGTH } from './limits';

// The email rule of protocol.md §3 "Email addresses": one normal form per address, so the
// spellings of one address (NFD or NFC, upper or lower case, fullwidth, a domain in Punycode)
// are one account, and the refusal of addresses that hide a character or mix scripts within a
// part, so no account can pose as another's address. The client runs it before any request; the
// server runs it on every route that takes an address.

/** Why an address is refused; each is named in protocol.md and test/vectors/emails.json. */
export type EmailRefusal = 'not-an-address' | 'too-long' | 'invisible' | 'mixed-script';

export class EmailError extends FormatError {
  override name = 'EmailError';
  constructor(readonly reason: EmailRefusal) {
    super(`email address refused: ${reason}`);
  }
}

/**
 * The normal form of an email address: trimmed, NFKC, lower case (Unicode's default mapping, no
 * locale), NFKC again, with each Punycode domain label decoded and mapped the same way. Throws
 * EmailError for an address the rule refuses.
 */
export function normaliseEmail(raw: string): string {
  const parts = fold(raw.trim()).split('@');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new EmailError('not-an-address');
  const local = parts[0];
  const labels = parts[1].split('.').map(decodeLabel);
  const email = `${local}@${labels.join('.')}`;
  if (codePoints(email) > MAX_EMAIL_LENGTH) throw new EmailError('too-long');
  if (INVISIBLE.test(email)) throw new EmailError('invisible');
  if (NOT_ALLOWED.test(email)) throw new EmailError('not-an-address');
  if ([local, ...labels].some(mixesScripts)) throw new EmailError('mixed-script');
  return email;
}

/** Printable ASCII: its own NFKC, and of no script but Latin. */
const ASCII = /^[\x20-\x7e]*$/;

/**
 * NFKC maps the compatibility forms (ａ, 𝐚, ⓐ, ﬁ) onto what they imitate; lower-casing can leave
 * text that is not NFKC, hence the second pass.
 */
function fold(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFKC').toLowerCase().normalize('NFKC');
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * No glyph of its own: white space, controls, format characters (zero-width ones, bidirectional
 * controls, the soft hyphen), default-ignorable code points (variation selectors, Hangul
 * fillers), private-use, unassigned and lone surrogate code points.
 */
const INVISIBLE =
  /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Co}\p{Cn}\p{Cs}]/u;

/** Beyond ASCII, only letters, marks and digits: the look-alikes of ".", "-", "/" and "@" are out. */
const NOT_ALLOWED = /[^\x20-\x7e\p{L}\p{M}\p{N}]/u;

// Domain labels in Punycode (RFC 3492): "xn--" and the encoded label. A browser may hand the
// domain over in this form (Chromium does for an email field), a person types it in Unicode.

const ACE_PREFIX = 'xn--';

function decodeLabel(label: string): string {
  if (!label.startsWith(ACE_PREFIX)) return label;
  const decoded = decodePunycode(label.slice(ACE_PREFIX.length));
  const mapped = decoded === null ? null : fold(decoded);
  // A label must stay one label, not empty, and come out decoded once and for all.
  if (!mapped || /[.@]/.test(mapped) || mapped.startsWith(ACE_PREFIX)) {
    throw new EmailError('not-an-address');
  }
  return mapped;
}

const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
const MAX_INT = 0x7fffffff;

/** RFC 3492 §6.2; null for input that is not Punycode. */
function decodePunycode(input: string): string | null {
  const delimiter = input.lastIndexOf('-');
  const output: number[] = [];
  for (let j = 0; j < delimiter; j++) {
    const code = input.charCodeAt(j);
    if (code >= 0x80) return null;
    output.push(code);
  }
  let n = INITIAL_N;
  let bias = INITIAL_BIAS;
  let i = 0;
  for (let at = delimiter > 0 ? delimiter + 1 : 0; at < input.length;) {
    const before = i;
    let weight = 1;
    for (let k = BASE; ; k += BASE) {
      if (at >= input.length) return null;
      const digit = digitOf(input.charCodeAt(at++));
      if (digit < 0 || digit > Math.floor((MAX_INT - i) / weight)) return null;
      i += digit * weight;
      const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
      if (digit < t) break;
      if (weight > Math.floor(MAX_INT / (BASE - t))) return null;
      weight *= BASE - t;
    }
    const length = output.length + 1;
    bias = adapt(i - before, length, before === 0);
    if (Math.floor(i / length) > MAX_INT - n) return null;
    n += Math.floor(i / length);
    i %= length;
    if (n > 0x10ffff) return null;
    output.splice(i++, 0, n);
  }
  return String.fromCodePoint(...output);
}

function digitOf(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 22; // 0-9 are 26-35
  if (code >= 0x61 && code <= 0x7a) return code - 0x61; // a-z are 0-25
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  return -1;
}

function adapt(delta: number, points: number, first: boolean): number {
  let d = first ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / points);
  let k = 0;
  for (; d > ((BASE - T_MIN) * T_MAX) >> 1; k += BASE) d = Math.floor(d / (BASE - T_MIN));
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

// Scripts (Unicode's Script property). A part, the local part or one domain label, writes in one
// script; Common (digits, punctuation) and Inherited (combining marks) go with any. The only
// mixes allowed are UTS #39's "highly restrictive" ones, how Japanese, Chinese and Korean are
// written beside Latin.

const ALLOWED_MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/**
 * The scripts of Unicode 13, which every engine the app runs on knows (a property name an engine
 * does not know is a syntax error); the most used first, since a part's first letter is looked up
 * in order. Letters of a later script count as one script of their own, "other".
 */
const SCRIPT_NAMES = [
  ['Latin', 'Cyrillic', 'Greek', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Arabic'],
  ['Hebrew', 'Devanagari', 'Bengali', 'Thai', 'Tamil', 'Telugu', 'Kannada', 'Malayalam'],
  ['Gujarati', 'Gurmukhi', 'Oriya', 'Sinhala', 'Armenian', 'Georgian', 'Ethiopic', 'Khmer'],
  ['Lao', 'Myanmar', 'Tibetan', 'Mongolian', 'Thaana', 'Syriac', 'Cherokee', 'Coptic'],
  ['Adlam', 'Ahom', 'Anatolian_Hieroglyphs', 'Avestan', 'Balinese', 'Bamum', 'Bassa_Vah', 'Batak'],
  ['Bhaiksuki', 'Brahmi', 'Braille', 'Buginese', 'Buhid', 'Canadian_Aboriginal', 'Carian'],
  ['Caucasian_Albanian', 'Chakma', 'Cham', 'Chorasmian', 'Cuneiform', 'Cypriot', 'Deseret'],
  ['Dives_Akuru', 'Dogra', 'Duployan', 'Egyptian_Hieroglyphs', 'Elbasan', 'Elymaic'],
  ['Glagolitic', 'Gothic', 'Grantha', 'Gunjala_Gondi', 'Hanifi_Rohingya', 'Hanunoo', 'Hatran'],
  ['Imperial_Aramaic', 'Inscriptional_Pahlavi', 'Inscriptional_Parthian', 'Javanese', 'Kaithi'],
  ['Kayah_Li', 'Kharoshthi', 'Khitan_Small_Script', 'Khojki', 'Khudawadi', 'Lepcha', 'Limbu'],
  ['Linear_A', 'Linear_B', 'Lisu', 'Lycian', 'Lydian', 'Mahajani', 'Makasar', 'Mandaic'],
  ['Manichaean', 'Marchen', 'Masaram_Gondi', 'Medefaidrin', 'Meetei_Mayek', 'Mende_Kikakui'],
  ['Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Modi', 'Mro', 'Multani', 'Nabataean'],
  ['Nandinagari', 'New_Tai_Lue', 'Newa', 'Nko', 'Nushu', 'Nyiakeng_Puachue_Hmong', 'Ogham'],
  ['Ol_Chiki', 'Old_Hungarian', 'Old_Italic', 'Old_North_Arabian', 'Old_Permic', 'Old_Persian'],
  ['Old_Sogdian', 'Old_South_Arabian', 'Old_Turkic', 'Osage', 'Osmanya', 'Pahawh_Hmong'],
  ['Palmyrene', 'Pau_Cin_Hau', 'Phags_Pa', 'Phoenician', 'Psalter_Pahlavi', 'Rejang', 'Runic'],
  ['Samaritan', 'Saurashtra', 'Sharada', 'Shavian', 'Siddham', 'SignWriting', 'Sogdian'],
  ['Sora_Sompeng', 'Soyombo', 'Sundanese', 'Syloti_Nagri', 'Tagalog', 'Tagbanwa', 'Tai_Le'],
  ['Tai_Tham', 'Tai_Viet', 'Takri', 'Tangut', 'Tifinagh', 'Tirhuta', 'Ugaritic', 'Vai'],
  ['Wancho', 'Warang_Citi', 'Yezidi', 'Yi', 'Zanabazar_Square'],
].flat();

const property = (name: string) => `\\p{Script=${name}}`;
const WITH_ANY = property('Common') + property('Inherited');
const ANY_SCRIPT = new RegExp(`[${WITH_ANY}]`, 'u');
/** Each script, and a part written in it alone (with Common and Inherited characters). */
const SCRIPTS = SCRIPT_NAMES.map((name) => ({
  pattern: new RegExp(property(name), 'u'),
  only: new RegExp(`^[${property(name)}${WITH_ANY}]*$`, 'u'),
}));
/** A part written in letters of none of them. */
const OTHER_ONLY = new RegExp(`^[^${SCRIPT_NAMES.map(property).join('')}]*$`, 'u');
const MIXES = ALLOWED_MIXES.map(
  (mix) => new RegExp(`^[${mix.map(property).join('')}${WITH_ANY}]*$`, 'u'),
);

/** The part's script is that of its first letter; every other letter must share it, or a mix. */
function mixesScripts(part: string): boolean {
  if (ASCII.test(part)) return false;
  const first = [...part].find((char) => !ANY_SCRIPT.test(char));
  if (first === undefined) return false;
  const only = SCRIPTS.find((s) => s.pattern.test(first))?.only ?? OTHER_ONLY;
  return !only.test(part) && !MIXES.some((mix) => mix.test(part));
}
