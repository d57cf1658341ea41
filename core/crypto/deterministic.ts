import { sodium } from './sodium';
import { withRandomSource } from './random';

/**
 * For generating and checking test vectors only: runs `run` with every random byte (keys,
 * key-pair seeds, nonces, ids) drawn from a stream fixed by `seed`, so outputs are reproducible.
 * Not exported from core/crypto's index.
 */
export function withDeterministicRandom<T>(seed: Uint8Array, run: () => T): T {
  const s = sodium();
  let counter = 0;
  return withRandomSource((length) => {
    const block = new Uint8Array(8);
    new DataView(block.buffer).setUint32(4, counter++);
    const streamSeed = s.crypto_generichash(32, block, seed);
    return s.randombytes_buf_deterministic(length, streamSeed);
  }, run);
}
