// The only file that loads libsodium. It is a dynamic import so the client can keep the ~470 kB
// library off its first paint and load it in the crypto worker when needed.
const load = async () => {
  const module = await import('libsodium-wrappers-sumo');
  await module.default.ready;
  return module.default;
};

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
