import { toBase64Url, ID_BYTES } from '../format';
import { sodium } from './sodium';

type RandomSource = (length: number) => Uint8Array;

let override: RandomSource | undefined;

/** All randomness in core/crypto goes through here: keys, key-pair seeds, nonces and ids. */
export function randomBytes(length: number): Uint8Array {
  return override ? override(length) : sodium().randombytes_buf(length);
}

export function randomId(): string {
  return toBase64Url(randomBytes(ID_BYTES));
}

/**
 * Replaces the random source while `run` executes synchronously (nested calls restore the outer
 * source). Only the test-vector seam (deterministic.ts) calls this; production code never does.
 */
export function withRandomSource<T>(source: RandomSource, run: () => T): T {
  const outer = override;
  override = source;
  try {
    return run();
  } finally {
    override = outer;
  }
}
