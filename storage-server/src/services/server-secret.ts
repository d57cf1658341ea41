import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const SECRET_BYTES = 32;

/**
 * The server's own secret, made on first start and kept in the data dir. Pre-login answers for
 * unknown emails are derived from it, so they stay the same across restarts.
 */
export async function loadServerSecret(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'server-secret');
  try {
    await writeFile(file, randomBytes(SECRET_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = await readFile(file);
  if (secret.length !== SECRET_BYTES) throw new Error(`${file} is damaged`);
  return secret;
}
