export { FormatError } from './errors';
export { toBase64Url, fromBase64Url, fromBase64UrlExact } from './base64url';
export { ID_BYTES, ID_PATTERN, isId, assertId, CHUNK_ID_PATTERN, isChunkId } from './ids';
export {
  MAX_FILE_SIZE,
  MAX_SEALED_META,
  SEALED_OVERHEAD,
  KDF_LIMITS,
  assertInteger,
  assertRevision,
} from './limits';
export {
  CHUNK_SIZE,
  CHUNK_OVERHEAD,
  MAX_CHUNK_CIPHER_SIZE,
  MAX_CHUNKS,
  MANIFEST_BYTES_PER_CHUNK,
  MANIFEST_FIXED_BYTES,
  chunkCount,
  plainChunkSize,
  cipherChunkSize,
  cipherSize,
  plainSizeFromCipher,
  maxSealedManifestSize,
} from './chunks';
export {
  FORMAT_VERSION,
  AD_FIELD_COUNTS,
  associatedData,
  associatedDataText,
  type AdPurpose,
  type AdField,
} from './associated-data';
export {
  LINK_KEY_BYTES,
  LINK_KEY_LENGTH,
  parseLinkFragment,
  decodeLinkKey,
  linkUrl,
} from './links';
