import { fromBase64Url } from './base64url';
import { FormatError } from './errors';
import { assertId } from './ids';

/** A link key is 32 random bytes; its text form, the whole URL fragment, is 43 characters. */
export const LINK_KEY_BYTES = 32;
export const LINK_KEY_LENGTH = 43;

const BASE64URL_CHAR = /^[A-Za-z0-9_-]$/;
// 43 characters carry 258 bits: the last one's two spare bits must be zero, leaving 16 choices.
const CANONICAL_LAST = 'AEIMQUYcgkosw048';
const ORIGIN_PATTERN = /^https?:\/\/[^/?#\s]+$/;

/**
 * Checks the text form of a link key; the messages are written for the person who pasted the
 * link, as the link page shows them before it sends any request.
 */
function checkLinkKeyText(text: unknown): string {
  if (typeof text !== 'string' || text.length === 0)
    throw new FormatError('The link has no key: the part after "#" is missing.');
  if (/\s/.test(text)) throw new FormatError('The link key contains a space or a line break.');
  if (text.includes('=')) throw new FormatError('The link key must not end with "=" padding.');
  for (let i = 0; i < text.length; i++) {
    if (!BASE64URL_CHAR.test(text[i]!)) {
      const char = String.fromCodePoint(text.codePointAt(i)!); // whole, if outside the BMP
      throw new FormatError(
        `The link key contains a character that is not allowed ("${char}" at position ${i + 1}).`,
      );
    }
  }
  if (text.length !== LINK_KEY_LENGTH) {
    throw new FormatError(
      `The link key must be ${LINK_KEY_LENGTH} characters long; this one has ${text.length}.`,
    );
  }
  if (!CANONICAL_LAST.includes(text[LINK_KEY_LENGTH - 1]!)) {
    throw new FormatError('The last character of the link key is wrong: the key is damaged.');
  }
  return text;
}

/**
 * The link key text from a URL fragment (`location.hash`, with or without its "#"). Pure: the
 * link page calls it before any request, so a malformed link never reaches the server.
 */
export function parseLinkFragment(hash: string): string {
  return checkLinkKeyText(typeof hash === 'string' && hash.startsWith('#') ? hash.slice(1) : hash);
}

/** The 32 bytes of a link key given as its 43-character text (no "#"). */
export function decodeLinkKey(text: string): Uint8Array {
  return fromBase64Url(checkLinkKeyText(text));
}

/** `<origin>/s/<linkId>#<linkKey>`; origin as in `location.origin` (scheme, host, port only). */
export function linkUrl(origin: string, linkId: string, linkKeyText: string): string {
  if (typeof origin !== 'string' || !ORIGIN_PATTERN.test(origin)) {
    throw new FormatError('origin must be scheme://host[:port] with no path');
  }
  assertId(linkId, 'link id');
  return `${origin}/s/${linkId}#${checkLinkKeyText(linkKeyText)}`;
}
