import { randomBytes } from 'node:crypto';

// An account whose wrapped keys are random bytes of the right shapes. The server cannot tell
// them from real ones (it never decrypts), which is what lets a benchmark drive the server side
// without paying the browser's key derivation inside the timing.

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const SEALED_KEY = 1 + 24 + 32 + 16;
const SEALED_SIGN_KEY = 1 + 24 + 64 + 16;

export function opaqueSignup(email: string) {
  const rootId = b64(16);
  return {
    email,
    userId: b64(16),
    kdf: { alg: 'argon2id13', salt: b64(16), opslimit: 3, memlimit: 64 * 1024 * 1024 },
    authKey: b64(32),
    recoveryAuthKey: b64(32),
    bundle: {
      wrappedMasterKey: b64(SEALED_KEY),
      wrappedMasterKeyRecovery: b64(SEALED_KEY),
      signPublicKey: b64(32),
      boxPublicKey: b64(32),
      wrappedSignSecretKey: b64(SEALED_SIGN_KEY),
      wrappedBoxSecretKey: b64(SEALED_KEY),
      rootId,
      wrappedRootKey: b64(SEALED_KEY),
    },
  };
}

/** Signs an opaque account up and logs it in, as the app does; its bearer token and root id. */
export async function createOpaqueAccount(url: string, email: string) {
  const body = opaqueSignup(email);
  const post = (route: string, json: unknown) =>
    fetch(`${url}/api/v1/auth/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
  const signup = await post('signup', body);
  if (signup.status !== 202)
    throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
  const login = await post('login', { email, authKey: body.authKey });
  if (login.status !== 200)
    throw new Error(`no account made: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  return { token, rootId: body.bundle.rootId };
}

export const opaqueBlobs = { b64, SEALED_KEY };
