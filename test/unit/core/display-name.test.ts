// Names that lie (format.md §6.1): every character that could reorder a name or hide in it is
// shown as its code point, wherever a name is shown or saved; every other character is kept.
import { describe, expect, it } from 'vitest';
import { displayName, isolatedName } from '@coffre/core/format';

const hex = (cp: number) => cp.toString(16).toUpperCase().padStart(4, '0');
const marker = (cp: number) => `[U+${hex(cp)}]`;

/** The list of format.md §6.1, written out range by range. */
const NEUTRALISED: [number, number][] = [
  [0x0000, 0x001f], // C0 controls
  [0x007f, 0x009f], // DEL and C1 controls
  [0x00ad, 0x00ad], // soft hyphen
  [0x034f, 0x034f], // combining grapheme joiner
  [0x061c, 0x061c], // Arabic letter mark
  [0x115f, 0x1160], // Hangul choseong and jungseong fillers
  [0x17b4, 0x17b5], // Khmer inherent vowels
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x200b, 0x200f], // zero-width space, non-joiner, joiner; LRM, RLM
  [0x2028, 0x2029], // line and paragraph separators
  [0x202a, 0x202e], // LRE, RLE, PDF, LRO, RLO
  [0x2060, 0x2065], // word joiner, invisible operators, a reserved one
  [0x2066, 0x2069], // LRI, RLI, FSI, PDI
  [0x206a, 0x206f], // deprecated format controls
  [0x3164, 0x3164], // Hangul filler
  [0xfeff, 0xfeff], // zero-width no-break space (byte-order mark)
  [0xffa0, 0xffa0], // halfwidth Hangul filler
  [0xfff0, 0xfff8], // reserved, default-ignorable
  [0xfff9, 0xfffb], // interlinear annotation marks
  [0x1bca0, 0x1bca3], // shorthand format controls
  [0x1d173, 0x1d17a], // musical symbol format controls
  [0xe0000, 0xe00ff], // tags and reserved
  [0xe01f0, 0xe0fff], // reserved, default-ignorable
];

/** Not default-ignorable, and neutralised all the same: a renderer may hide what they annotate. */
const INTERLINEAR_ANNOTATION: [number, number][] = [[0xfff9, 0xfffb]];

/** Default-ignorable, and kept on purpose: variation selectors choose a glyph, never hide text. */
const VARIATION_SELECTORS: [number, number][] = [
  [0x180b, 0x180d],
  [0x180f, 0x180f],
  [0xfe00, 0xfe0f],
  [0xe0100, 0xe01ef],
];

function* codePoints(ranges: [number, number][]) {
  for (const [first, last] of ranges) for (let cp = first; cp <= last; cp++) yield cp;
}

const inRanges = (ranges: [number, number][], cp: number) =>
  ranges.some(([first, last]) => cp >= first && cp <= last);

const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

describe('displayName', () => {
  it('shows the right-to-left override of `invoice‮txt.exe` instead of obeying it', () => {
    expect(displayName('invoice\u202Etxt.exe')).toBe('invoice[U+202E]txt.exe');
  });

  it('shows every character of the list as its code point, in place', () => {
    for (const cp of codePoints(NEUTRALISED)) {
      const char = String.fromCodePoint(cp);
      expect(displayName(`a${char}b`), hex(cp)).toBe(`a${marker(cp)}b`);
      expect(displayName(char + char), hex(cp)).toBe(marker(cp) + marker(cp));
    }
  });

  it('covers every default-ignorable code point, control and separator but the variation selectors', () => {
    // An independent reading of the same set: the engine's own Unicode properties.
    const ignorable = /^[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Zl}\p{Zp}]$/u;
    const disagree: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (isSurrogate(cp)) continue;
      const expected =
        (ignorable.test(String.fromCodePoint(cp)) && !inRanges(VARIATION_SELECTORS, cp)) ||
        inRanges(INTERLINEAR_ANNOTATION, cp);
      if (inRanges(NEUTRALISED, cp) !== expected) disagree.push(hex(cp));
    }
    expect(disagree).toEqual([]);
  });

  it('neutralises every bidirectional control and joiner the engine knows of', () => {
    const moving = /^[\p{Bidi_Control}\p{Join_Control}]$/u;
    let seen = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (isSurrogate(cp) || !moving.test(String.fromCodePoint(cp))) continue;
      expect(displayName(String.fromCodePoint(cp)), hex(cp)).toBe(marker(cp));
      seen++;
    }
    expect(seen).toBe(14); // ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, ZWNJ, ZWJ
  });

  it('keeps every other character as it is', () => {
    const kept = [
      'report.pdf',
      'שלום.txt',
      'مرحبا.docx',
      'naïve café.md',
      '日本語のファイル.txt',
      '葛\u{E0100}飾区.txt', // an ideographic variation selector
      '❤\uFE0F.png', // the emoji presentation selector
      'a b\u00A0c\u3000d', // visible spaces
      '[U+202E] typed by hand.txt',
      '\uFFFD.bin',
    ];
    for (const name of kept) expect(displayName(name)).toBe(name);
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (isSurrogate(cp) || inRanges(NEUTRALISED, cp)) continue;
      const char = String.fromCodePoint(cp);
      if (displayName(char) !== char) expect.fail(`U+${hex(cp)} was changed`);
    }
  });

  it('never lets two names that look different to the eye collapse into one', () => {
    const names = ['a.txt', 'a\u200B.txt', 'a\u200C.txt', 'a\u2060.txt', 'a\uFEFF.txt'];
    expect(new Set(names.map(displayName)).size).toBe(names.length);
  });

  it('isolates the shown name for plain text', () => {
    expect(isolatedName('שלום\u202E.txt')).toBe('\u2068שלום[U+202E].txt\u2069');
  });
});
