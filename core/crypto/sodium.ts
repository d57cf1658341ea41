// The only file that loads libsodium. It is a dynamic import so the client can keep the ~470 kB
// library off its first paint and load it in the crypto worker when needed.
const load = async () => {
  const module = await import('libsodium-wrappers-sumo');
  await module.default.ready;
  if (typeof (module.default as unknown as Partial<Raw>).libsodium?._malloc !== 'function') {
    throw new Error('this build of libsodium does not expose its WebAssembly module');
  }
  return module.default;
};

/**
 * The parts of libsodium's WebAssembly module (which the wrappers are built on, and expose as
 * `libsodium`) that sealed.ts uses to open in place. Lengths are 64-bit, passed as low and high.
 */
export interface SodiumMemory {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(address: number): void;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(
    plaintext: number,
    plaintextLength: number,
    secretNonce: number,
    ciphertext: number,
    ciphertextLengthLow: number,
    ciphertextLengthHigh: number,
    ad: number,
    adLengthLow: number,
    adLengthHigh: number,
    nonce: number,
    key: number,
  ): number;
}

interface Raw {
  libsodium: SodiumMemory;
}

type Sodium = Awaited<ReturnType<typeof load>>;

let instance: Sodium | undefined;
let loading: Promise<void> | undefined;

/** Loads libsodium once; every other function of core/crypto is synchronous after this. */
export function initCrypto(): Promise<void> {
  loading ??= load().then(
    (loaded) => {
      instance = loaded;
    },
    (error: unknown) => {
      loading = undefined; // a failed load (e.g. the chunk could not be fetched) may be retried
      throw error;
    },
  );
  return loading;
}

export function sodium(): Sodium {
  if (instance === undefined) throw new Error('initCrypto() must complete before using crypto');
  return instance;
}

/** libsodium's own memory and functions, for work the wrappers would copy twice (sealed.ts). */
export function sodiumMemory(): SodiumMemory {
  return (sodium() as unknown as Raw).libsodium;
}
