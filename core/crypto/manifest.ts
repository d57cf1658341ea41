import {
  CHUNK_SIZE,
  FormatError,
  MAX_CHUNKS,
  MAX_FILE_SIZE,
  SEALED_OVERHEAD,
  associatedData,
  assertId,
  assertRevision,
  chunkCount,
  fromBase64Url,
  isChunkId,
  maxSealedManifestSize,
  toBase64Url,
} from '../format';
import { manifestKey } from './content';
import { IntegrityError } from './errors';
import { assertKey, equalBytes, keyedHash } from './primitives';
import { openText, sealToText } from './sealed';
import { sodium } from './sodium';

/** The verified chunk list of one file revision (format.md §7). */
export interface Manifest {
  v: 1;
  nodeId: string;
  revision: number;
  size: number;
  chunkSize: number;
  count: number;
  chunks: string[];
  commitment: string;
  signer: string;
}

const BODY_KEYS = 'chunkSize,chunks,commitment,count,nodeId,revision,signer,size,v';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Key commitment (R18): ties the manifest to one content key, checked before any chunk is opened. */
function commitment(contentKey: Uint8Array, nodeId: string, revision: number): Uint8Array {
  return keyedHash(contentKey, associatedData('commit', nodeId, revision));
}

/** The signed message: the signature's own AD, '|', then the body, so it is never a valid AD. */
function signedMessage(body: string): Uint8Array {
  const prefix = associatedData('manifest-signature');
  const bodyBytes = encoder.encode(body);
  const message = new Uint8Array(prefix.length + 1 + bodyBytes.length);
  message.set(prefix);
  message[prefix.length] = 0x7c; // '|'
  message.set(bodyBytes, prefix.length + 1);
  return message;
}

export function sealManifest(
  input: { nodeId: string; revision: number; size: number; chunks: string[] },
  contentKey: Uint8Array,
  signer: { publicKey: Uint8Array; secretKey: Uint8Array },
): string {
  const { nodeId, revision, size, chunks } = input;
  assertId(nodeId, 'node id');
  assertRevision(revision);
  assertKey(contentKey, 'content key');
  const count = chunkCount(size);
  if (!Array.isArray(chunks) || chunks.length !== count || !chunks.every(isChunkId)) {
    throw new FormatError(
      `a manifest of ${size} bytes lists ${count} chunk ids (SHA-256, base64url)`,
    );
  }
  const manifest: Manifest = {
    v: 1,
    nodeId,
    revision,
    size,
    chunkSize: CHUNK_SIZE,
    count,
    chunks: [...chunks],
    commitment: toBase64Url(commitment(contentKey, nodeId, revision)),
    signer: toBase64Url(signer.publicKey),
  };
  const body = JSON.stringify(manifest);
  const sig = sodium().crypto_sign_detached(signedMessage(body), signer.secretKey);
  const envelope = encoder.encode(JSON.stringify({ body, sig: toBase64Url(sig) }));
  return sealToText(
    manifestKey(contentKey),
    associatedData('manifest', nodeId, revision),
    envelope,
  );
}

function parseObject(text: string, keys: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new IntegrityError();
  if (Object.keys(value).sort().join(',') !== keys) throw new IntegrityError();
  return value as Record<string, unknown>;
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/**
 * Opens and fully verifies a sealed manifest (format.md §7): AEAD, the node and revision asked
 * for, size arithmetic and bounds (R17), the uploader's signature, and the key commitment (R18).
 * Any failure is an IntegrityError.
 */
export function openManifest(
  sealed: string,
  contentKey: Uint8Array,
  expect: { nodeId: string; revision: number; signer?: Uint8Array },
): Manifest {
  const { nodeId, revision } = expect;
  assertId(nodeId, 'node id');
  assertRevision(revision);
  assertKey(contentKey, 'content key');
  const envelopeBytes = openText(
    manifestKey(contentKey),
    associatedData('manifest', nodeId, revision),
    sealed,
    maxSealedManifestSize(MAX_CHUNKS),
  );
  let manifest: Manifest;
  let body: string;
  let sig: Uint8Array;
  try {
    const envelope = parseObject(decoder.decode(envelopeBytes), 'body,sig');
    if (typeof envelope.body !== 'string' || typeof envelope.sig !== 'string')
      throw new IntegrityError();
    body = envelope.body;
    sig = fromBase64Url(envelope.sig);
    manifest = parseObject(body, BODY_KEYS) as unknown as Manifest;
  } catch {
    throw new IntegrityError();
  }
  const { size, count, chunks } = manifest;
  const fieldsHold =
    manifest.v === 1 &&
    manifest.nodeId === nodeId &&
    manifest.revision === revision &&
    manifest.chunkSize === CHUNK_SIZE &&
    isInteger(size, 0, MAX_FILE_SIZE) &&
    count === chunkCount(size) &&
    envelopeBytes.length + SEALED_OVERHEAD <= maxSealedManifestSize(count) &&
    Array.isArray(chunks) &&
    chunks.length === count &&
    chunks.every(isChunkId) &&
    typeof manifest.commitment === 'string' &&
    typeof manifest.signer === 'string' &&
    sig.length === 64;
  if (!fieldsHold) throw new IntegrityError();
  const signerKey = decodeOrFail(manifest.signer, 32);
  if (expect.signer !== undefined && !equalBytes(signerKey, expect.signer))
    throw new IntegrityError();
  if (!sodium().crypto_sign_verify_detached(sig, signedMessage(body), signerKey)) {
    throw new IntegrityError();
  }
  if (
    !equalBytes(decodeOrFail(manifest.commitment, 32), commitment(contentKey, nodeId, revision))
  ) {
    throw new IntegrityError();
  }
  return manifest;
}

function decodeOrFail(text: string, length: number): Uint8Array {
  try {
    const bytes = fromBase64Url(text);
    if (bytes.length === length) return bytes;
  } catch {
    // falls through to the one generic error
  }
  throw new IntegrityError();
}
