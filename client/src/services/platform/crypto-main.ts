// Small crypto operations (node keys and names, manifests, key wraps) run on the page: each takes
// microseconds, the drive needs their answers synchronously in loops (a folder listing opens every
// child), and the keys involved already live in this layer. Sending them to a worker would cost a
// message round trip per node for no gain. The module is imported lazily so libsodium stays off
// the first paint; slow or bulk work (Argon2id, chunks) goes to the worker pool instead.
import type * as CoreCryptoModule from '@coffre/core/crypto';

type CoreCrypto = typeof CoreCryptoModule;

let loading: Promise<CoreCrypto> | null = null;
let loaded: CoreCrypto | null = null;

export function coreCrypto(): Promise<CoreCrypto> {
  loading ??= import('@coffre/core/crypto').then(async (core) => {
    await core.initCrypto();
    loaded = core;
    return core;
  });
  return loading;
}

/**
 * Which of core's own errors `error` is, when the crypto run here on the page threw it (the
 * workers' arrive as typed values instead, see crypto-pool.ts). Before core has loaded, none can
 * have been thrown.
 */
export function coreFailure(error: unknown): 'integrity' | 'weak-kdf' | null {
  if (loaded === null) return null;
  if (error instanceof loaded.IntegrityError) return 'integrity';
  if (error instanceof loaded.WeakKdfError) return 'weak-kdf';
  return null;
}
