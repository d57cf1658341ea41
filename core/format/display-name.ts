// How a name is shown and saved (format.md §6.1). A name is stored exactly as its uploader typed
// it; what a person reads — on a screen, in a zip entry, as a saved file's name — is this form,
// in which no character can reorder the text or hide itself.

/**
 * Characters a name may hold that are invisible or move other text, as format.md §6.1 lists them:
 * every default-ignorable code point, control and separator, and the interlinear annotation marks.
 * Variation selectors (U+180B–180D, U+180F, U+FE00–FE0F, U+E0100–E01EF) are kept: they pick a
 * glyph for the character before them and cannot hide or move anything, and emoji, CJK and
 * Mongolian names need them.
 */
const HIDDEN_RANGES: readonly (readonly [number, number])[] = [
  [0x0000, 0x001f], // C0 controls
  [0x007f, 0x009f], // DEL, C1 controls
  [0x00ad, 0x00ad], // soft hyphen
  [0x034f, 0x034f], // combining grapheme joiner
  [0x061c, 0x061c], // Arabic letter mark
  [0x115f, 0x1160], // Hangul fillers
  [0x17b4, 0x17b5], // Khmer inherent vowels
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x200b, 0x200f], // zero-width space, non-joiner, joiner; left-to-right, right-to-left marks
  [0x2028, 0x202e], // line, paragraph separators; bidirectional embeddings, pop, overrides
  [0x2060, 0x206f], // word joiner, invisible operators, bidirectional isolates, deprecated controls
  [0x3164, 0x3164], // Hangul filler
  [0xfeff, 0xfeff], // zero-width no-break space (byte-order mark)
  [0xffa0, 0xffa0], // halfwidth Hangul filler
  [0xfff0, 0xfffb], // reserved; interlinear annotation marks
  [0x1bca0, 0x1bca3], // shorthand format controls
  [0x1d173, 0x1d17a], // musical format controls
  [0xe0000, 0xe00ff], // tags, reserved
  [0xe01f0, 0xe0fff], // reserved
];

const HIDDEN = new RegExp(
  `[${HIDDEN_RANGES.map(([first, last]) => `\\u{${hex(first)}}-\\u{${hex(last)}}`).join('')}]`,
  'gu',
);

/** U+2068 FIRST STRONG ISOLATE … U+2069 POP DIRECTIONAL ISOLATE. */
const ISOLATE_START = '\u2068';
const ISOLATE_END = '\u2069';

/**
 * The name as a person reads it: each hidden character becomes its code point in brackets, so
 * `invoice\u202Etxt.exe` reads `invoice[U+202E]txt.exe` and `a\u200B.txt` never looks like `a.txt`.
 * Every other character is kept.
 */
export function displayName(name: string): string {
  return name.replace(HIDDEN, (char) => `[U+${hex(char.codePointAt(0)!)}]`);
}

/**
 * The display name isolated for plain text among other words (a title, a sentence): a right-to-left
 * name keeps its own order without reordering the words around it. Markup isolates with `<bdi>`.
 */
export function isolatedName(name: string): string {
  return ISOLATE_START + displayName(name) + ISOLATE_END;
}

/** A code point in upper-case hex, at least four digits. */
function hex(codePoint: number): string {
  return codePoint.toString(16).toUpperCase().padStart(4, '0');
}
