// One crypto worker: Argon2id (accounts, password links) and the bulk chunk cipher run here so the page never freezes.
// The page keeps a pool of these (crypto-pool.ts).
import {
  ChunkSealer,
  IntegrityError,
  createAccount,
  createLink,
  derivePasswordKeys,
  initCrypto,
  openAccount,
  openAccountWithRecovery,
  openLink,
  recoveryAuthKey,
  wrapLinkKey,
} from '@coffre/core/crypto';
import { toBase64Url } from '@coffre/core/format';
import {
  cryptoFailure,
  type ChunkContext,
  type CryptoOp,
  type CryptoOps,
  type CryptoRequest,
  type CryptoResponse,
} from './crypto-protocol';

type Handlers = {
  [K in CryptoOp]: (
    args: CryptoOps[K]['args'],
  ) => CryptoOps[K]['result'] | Promise<CryptoOps[K]['result']>;
};

const handlers: Handlers = {
  derivePasswordKeys: ({ password, params }) => derivePasswordKeys(password, params),
  createAccount: ({ userId, encKey }) => createAccount(userId, encKey),
  openAccount: ({ userId, encKey, bundle }) => openAccount(userId, encKey, bundle),
  openAccountWithRecovery: ({ userId, recoveryKey, bundle }) =>
    openAccountWithRecovery(userId, recoveryKey, bundle),
  recoveryAuthKey: ({ recoveryKey }) => recoveryAuthKey(recoveryKey),
  createLink: (args) => createLink(args),
  wrapLinkKey: (args) => wrapLinkKey(args),
  openLink: (args) => openLink(args),
  sealChunk: async (args) => {
    const chunk = sealer(args).seal(args.index, new Uint8Array(args.plaintext));
    return { chunk: ownBuffer(chunk), id: await chunkIdOf(chunk) };
  },
  openChunk: async (args) => {
    const chunk = new Uint8Array(args.chunk);
    if ((await chunkIdOf(chunk)) !== args.expectedId) throw new IntegrityError();
    const reader = sealer(args);
    const plaintext = args.inPlace
      ? reader.openInPlace(args.index, chunk)
      : reader.open(args.index, chunk);
    return { plaintext, chunk: args.chunk };
  },
};

// A sealer only derives the chunk key from the content key: cheap enough to make per chunk, and
// keeping none around means the worker holds no key between requests.
function sealer({ contentKey, nodeId, revision, count }: ChunkContext): ChunkSealer {
  return new ChunkSealer(contentKey, nodeId, revision, count);
}

/**
 * The chunk id of format.md §5 (SHA-256, base64url) — core's `chunkId`, computed with WebCrypto:
 * measured 3–6x faster than libsodium's WebAssembly SHA-256 (bench/crypto; about even only where
 * new buffers are costly, format.md §10), which would otherwise cost as much as the cipher itself.
 * The server recomputes every id on upload, so a mismatch
 * between the two could not go unnoticed.
 */
async function chunkIdOf(chunk: Uint8Array<ArrayBuffer>): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', chunk)));
}

/** The bytes as an ArrayBuffer of exactly their length, so it can be transferred. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

/** The chunk and plaintext buffers of a result, each once (an in-place plaintext is in the chunk's). */
function transferables(result: unknown): Transferable[] {
  if (!result || typeof result !== 'object') return [];
  const { chunk, plaintext } = result as { chunk?: unknown; plaintext?: unknown };
  const buffers = [chunk, ArrayBuffer.isView(plaintext) ? plaintext.buffer : plaintext];
  return [...new Set(buffers)].filter((part): part is ArrayBuffer => part instanceof ArrayBuffer);
}

const ready = initCrypto();

self.onmessage = async (event: MessageEvent<CryptoRequest>) => {
  const { id, op, args } = event.data;
  let response: CryptoResponse;
  let transfer: Transferable[] = [];
  try {
    await ready;
    const handler = handlers[op] as (a: typeof args) => unknown;
    const result = await handler(args);
    response = { id, ok: true, result };
    transfer = transferables(result);
  } catch (error) {
    response = { id, ok: false, error: cryptoFailure(error) };
  }
  self.postMessage(response, { transfer });
};
