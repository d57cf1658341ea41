import { base64UrlLength } from './base64url';
import { FormatError } from './errors';
import { LINK_KEY_BYTES } from './link-url';

// Every size limit of the format and of both protocols, each defined once: the side that makes a
// value and the side that checks it import the same constant, and the specs quote these figures
// (format.md §8, §11.9, §13; protocol.md §5.4, §6 "Limits"). A figure that follows from others is
// computed from them. Threat rule R17: every size or count that arrives from a server or a peer
// is checked against these before anything is allocated for it.

// Sealed blobs (format.md §3).

/** XChaCha20-Poly1305's nonce. */
export const NONCE_BYTES = 24;
/** Poly1305's tag. */
export const TAG_BYTES = 16;
/** Every sealed blob is at least version byte + nonce + tag. */
export const SEALED_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
/** Wrapped keys are sealed blobs of a 32- or 64-byte key; 256 bytes leaves room and still bounds. */
export const MAX_SEALED_KEY = 256;

// Node metadata (format.md §6).

/** Sealed node metadata, whole blob. */
export const MAX_SEALED_META = 4096;
/** A node's name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/** A mime type, in characters. */
export const MAX_MIME_LENGTH = 255;

/** Argon2id parameters a client accepts from a server (format.md §4.1). */
export const KDF_LIMITS = {
  minOpslimit: 3,
  maxOpslimit: 10,
  minMemlimit: 64 * 1024 * 1024,
  maxMemlimit: 1024 * 1024 * 1024,
  saltBytes: 16,
} as const;

// File content (format.md §5, §7).

export const MAX_FILE_SIZE = 2 ** 50;
/** Plaintext bytes per chunk; only the last chunk of a file is shorter. Fixed by the format. */
export const CHUNK_SIZE = 4 * 1024 * 1024;
/** A chunk is a sealed blob: version byte + 24-byte nonce + 16-byte tag. */
export const CHUNK_OVERHEAD = SEALED_OVERHEAD;
export const MAX_CHUNK_CIPHER_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD;
export const MAX_CHUNKS = MAX_FILE_SIZE / CHUNK_SIZE;
/** Ciphertext bytes of the largest file. */
export const MAX_UPLOAD_SIZE = MAX_FILE_SIZE + MAX_CHUNKS * CHUNK_OVERHEAD;
/** The manifest grows with its chunk list: at most this much per chunk plus a fixed part. */
export const MANIFEST_BYTES_PER_CHUNK = 64;
export const MANIFEST_FIXED_BYTES = 4096;

/** Largest sealed manifest (bytes) a reader accepts for a file of `count` chunks. */
export function maxSealedManifestSize(count: number): number {
  return (
    assertInteger(count, 1, MAX_CHUNKS, 'chunk count') * MANIFEST_BYTES_PER_CHUNK +
    MANIFEST_FIXED_BYTES
  );
}

/** The sealed manifest of the largest file; a commit is checked against its own count too. */
export const MAX_SEALED_MANIFEST = maxSealedManifestSize(MAX_CHUNKS);

// Share links (format.md §11.9).

/** The node key and the owner's signing public key, 32 bytes each, sealed under K. */
export const LINK_WRAPPED_KEY_BYTES = SEALED_OVERHEAD + 64;
/** The link key sealed under the owner's master key, for the owner's other devices. */
export const LINK_OWNER_KEY_BYTES = SEALED_OVERHEAD + LINK_KEY_BYTES;

// The storage server's answers and requests (protocol.md §3).

/** Lists are bounded too (R17): a folder or the bin holds at most this many entries per answer. */
export const MAX_LIST_NODES = 100_000;
/** An email address: RFC 5321's 256-character path less its angle brackets. */
export const MAX_EMAIL_LENGTH = 254;

// What the client holds itself to: no server sees a password, and how deep it follows a chain of
// folders or how large a file it opens in memory guard the client alone.

/** The shortest password a person may choose for an account. */
export const MIN_PASSWORD_LENGTH = 8;
/** Folders the client follows up or down a tree: far deeper than any real one, it stops a cycle. */
export const MAX_FOLDER_DEPTH = 512;
/** A preview decrypts the whole file in memory: anything larger is downloaded instead. */
export const MAX_PREVIEW_BYTES = 32 * 1024 * 1024;

// Signaling (format.md §13.5, protocol.md §5).

/** A sealed signal's plaintext: an SDP with its candidates fits easily. */
export const MAX_SIGNAL_PLAINTEXT = 4096;
/** The counter in front of a sealed signal's blob. */
export const SIGNAL_COUNTER_BYTES = 4;
/** The largest envelope: kind byte, counter, and the plaintext sealed (4,142 bytes). */
export const MAX_SIGNAL_ENVELOPE_BYTES =
  1 + SIGNAL_COUNTER_BYTES + SEALED_OVERHEAD + MAX_SIGNAL_PLAINTEXT;
/** The same envelope as the relay carries it, in base64url: 5,523 characters. */
export const MAX_SIGNAL_TEXT = base64UrlLength(MAX_SIGNAL_ENVELOPE_BYTES);
/**
 * The smallest message size limit a signal server may run with: the largest valid `signal`
 * frame (MAX_SIGNAL_TEXT characters of data with the room and peer ids, field names and
 * Socket.IO's framing, under 5,700 bytes) fits under it.
 */
export const MIN_SIGNAL_FRAME_BYTES = 6 * 1024;
/** A room never holds more than this, whatever the server's configured room size. */
export const MAX_ROOM_SIZE = 64;
/** Members per room unless the server is configured otherwise; a link room keeps no more pairs. */
export const DEFAULT_ROOM_SIZE = 8;
/** Rooms one socket may be in unless the server is configured otherwise. */
export const DEFAULT_ROOMS_PER_SOCKET = 4;
/** A STUN or TURN URL the signal server hands out: far longer than a host, port and query. */
export const MAX_ICE_URL_LENGTH = 512;
/** URLs in one ICE server entry. */
export const MAX_ICE_URLS = 16;

// Data-channel frames (protocol.md §6).

/** The largest message any browser delivers intact (ADR 0006). */
export const MAX_FRAME_BYTES = 16 * 1024;
/**
 * Type byte and two 4-byte fields: index or total and offset in `offer` and `chunk`, count and
 * first bit in `have`.
 */
export const FRAME_HEADER_BYTES = 1 + 4 + 4;
/** Bytes of offer or chunk data in one frame (16,375). */
export const FRAME_DATA_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;
/** Bytes of bitmap in one `have` frame (16,375). */
export const MAX_HAVE_BITMAP_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;
export const MAX_REQUEST_INDEXES = 64;
export const MAX_ERROR_MESSAGE_BYTES = 256;
/**
 * A chunk's share of an offer: its id with escaped quotes and a comma is 48 bytes of the sealed
 * manifest, which the offer carries in base64url.
 */
const OFFER_BYTES_PER_CHUNK = base64UrlLength(48);
/**
 * The largest sealed offer: the chunk list of a file of 2^18 chunks (1 TiB; 16 MiB), and 8 KiB
 * for the manifest's fixed part, the offer's other fields and the seal.
 */
export const MAX_SEALED_OFFER = 2 ** 18 * OFFER_BYTES_PER_CHUNK + 8 * 1024;
/** Link sessions: chunks a receiver keeps requested and not yet complete from one peer. */
export const LINK_DUE_PER_PEER = 2;
/** Indexes a link sender holds queued: twice what a receiver keeps due, slack for timing. */
export const LINK_QUEUED_INDEXES = 2 * LINK_DUE_PER_PEER;

export function assertInteger(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new FormatError(`${what} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A file's revision number: any non-negative integer the storage server assigns, one per upload. */
export function assertRevision(value: unknown): number {
  return assertInteger(value, 0, Number.MAX_SAFE_INTEGER, 'revision');
}
