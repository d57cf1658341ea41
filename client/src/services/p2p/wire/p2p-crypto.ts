import type * as P2pCryptoModule from '@coffre/core/crypto/p2p';
import { coreCrypto } from '../../platform/crypto-main';

export type P2pCrypto = typeof P2pCryptoModule;

let loading: Promise<P2pCrypto> | null = null;

/** The P2P half of core/crypto, loaded with libsodium on first use. */
export function p2pCrypto(): Promise<P2pCrypto> {
  loading ??= coreCrypto().then(() => import('@coffre/core/crypto/p2p'));
  return loading;
}
