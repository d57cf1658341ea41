// Small crypto operations (node keys and names, manifests, key wraps) run on the page: each takes
// microseconds, the drive needs their answers synchronously in loops (a folder listing opens every
// child), and the keys involved already live in this layer. Sending them to a worker would cost a
// message round trip per node for no gain. The module is imported lazily so libsodium stays off
// the first paint; slow or bulk work (Argon2id, chunks) goes to the worker pool instead.
import type * as CoreCryptoModule from '@coffre/core/crypto';

type CoreCrypto = typeof CoreCryptoModule;

let loading: Promise<CoreCrypto> | null = null;

export function coreCrypto(): Promise<CoreCrypto> {
  loading ??= import('@coffre/core/crypto').then(async (core) => {
    await core.initCrypto();
    return core;
  });
  return loading;
}
