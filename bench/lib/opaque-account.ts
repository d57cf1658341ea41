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

/** Signs an opaque account up; returns its bearer token and root folder id. */
export async function createOpaqueAccount(url: string, email: string) {
  const body = opaqueSignup(email);
  const res = await fetch(`${url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return { token, rootId: body.bundle.rootId };
}

export const opaqueBlobs = { b64, SEALED_KEY };
