export { FormatError } from './errors';
export { base64UrlLength, toBase64Url, fromBase64Url, fromBase64UrlExact } from './base64url';
export { ID_BYTES, ID_PATTERN, isId, assertId, CHUNK_ID_PATTERN, isChunkId } from './ids';
export {
  NONCE_BYTES,
  TAG_BYTES,
  SEALED_OVERHEAD,
  MAX_SEALED_KEY,
  MAX_SEALED_META,
  MAX_NAME_BYTES,
  MAX_MIME_LENGTH,
  KDF_LIMITS,
  MAX_FILE_SIZE,
  CHUNK_SIZE,
  CHUNK_OVERHEAD,
  MAX_CHUNK_CIPHER_SIZE,
  MAX_CHUNKS,
  MAX_UPLOAD_SIZE,
  MANIFEST_BYTES_PER_CHUNK,
  MANIFEST_FIXED_BYTES,
  maxSealedManifestSize,
  MAX_SEALED_MANIFEST,
  LINK_WRAPPED_KEY_BYTES,
  LINK_OWNER_KEY_BYTES,
  MAX_LIST_NODES,
  MAX_EMAIL_LENGTH,
  MIN_PASSWORD_LENGTH,
  MAX_FOLDER_DEPTH,
  MAX_PREVIEW_BYTES,
  MAX_SIGNAL_PLAINTEXT,
  SIGNAL_COUNTER_BYTES,
  MAX_SIGNAL_ENVELOPE_BYTES,
  MAX_SIGNAL_TEXT,
  MIN_SIGNAL_FRAME_BYTES,
  MAX_ROOM_SIZE,
  DEFAULT_ROOM_SIZE,
  DEFAULT_ROOMS_PER_SOCKET,
  MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_DATA_BYTES,
  MAX_HAVE_BITMAP_BYTES,
  MAX_REQUEST_INDEXES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_SEALED_OFFER,
  LINK_DUE_PER_PEER,
  LINK_QUEUED_INDEXES,
  assertInteger,
  assertRevision,
} from './limits';
export {
  chunkCount,
  plainChunkSize,
  cipherChunkSize,
  cipherSize,
  plainSizeFromCipher,
} from './chunks';
export {
  FORMAT_VERSION,
  AD_FIELD_COUNTS,
  associatedData,
  associatedDataText,
  type AdPurpose,
  type AdField,
} from './associated-data';
export { EmailError, normaliseEmail, type EmailRefusal } from './email';
export {
  LINK_KEY_BYTES,
  LINK_KEY_LENGTH,
  parseLinkFragment,
  decodeLinkKey,
  linkUrl,
} from './links';
export { figuresIn, quotaDay } from './quota-figures';
export { displayName, isolatedName } from './display-name';
