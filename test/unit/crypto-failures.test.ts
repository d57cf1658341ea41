// A failure inside a crypto worker crosses to the page as a value (crypto-protocol.ts) and comes
// out as the same typed error the page raises for it (crypto-pool.ts), never as a name to match.
import { beforeAll, describe, expect, it } from 'vitest';
import { ChunkSealer, checkKdfParams, initCrypto, type KdfParams } from '@coffre/core/crypto';
import { cryptoFailure } from '../../client/src/services/platform/crypto-protocol';
import { failureError } from '../../client/src/services/platform/crypto-pool';
import {
  IntegrityFailedError,
  UnexpectedError,
  WeakKdfRefusedError,
} from '../../client/src/services/platform/errors';

beforeAll(initCrypto);

/** What the worker posts for `thrown`, through structured cloning as postMessage does, decoded. */
function acrossTheWorker(thrown: () => unknown): unknown {
  try {
    thrown();
  } catch (error) {
    return failureError(structuredClone(cryptoFailure(error)));
  }
  throw new Error('nothing was thrown');
}

describe('errors from the crypto worker', () => {
  it('a chunk that fails its AEAD check arrives as the typed integrity error', () => {
    const key = new Uint8Array(32).fill(7);
    const nodeId = 'A'.repeat(22);
    const sealed = new ChunkSealer(key, nodeId, 1, 1).seal(0, new Uint8Array([1, 2, 3]));
    sealed[sealed.length - 1]! ^= 1;
    const error = acrossTheWorker(() => new ChunkSealer(key, nodeId, 1, 1).open(0, sealed));
    expect(error).toBeInstanceOf(IntegrityFailedError);
    expect((error as IntegrityFailedError).kind).toBe('integrity');
  });

  it('password settings under the floor arrive as the typed weak-KDF refusal', () => {
    const weak = { alg: 'argon2id13', opslimit: 1, memlimit: 1024, salt: 'A'.repeat(22) };
    const error = acrossTheWorker(() => checkKdfParams(weak as KdfParams));
    expect(error).toBeInstanceOf(WeakKdfRefusedError);
  });

  it('anything else keeps only its message, for the fallback', () => {
    const error = acrossTheWorker(() => {
      throw new TypeError('not a buffer');
    });
    expect(error).toBeInstanceOf(UnexpectedError);
    expect((error as Error).message).toBe('not a buffer');
  });
});
