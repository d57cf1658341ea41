/** Input that breaks a format rule: bad base64url, an id of the wrong form, a size out of range. */
export class FormatError extends Error {
  override name = 'FormatError';
}
