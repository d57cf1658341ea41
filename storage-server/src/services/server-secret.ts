import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/database';
import { ServerSecretsRepository } from '../repositories/server-secrets.repository';

const SECRET_BYTES = 32;
const NAME = 'main';
/** Where servers before the secret moved into the database kept it. */
const LEGACY_FILE = 'server-secret';

/**
 * The deployment's own secret: pre-login answers for unknown emails and link download grants
 * are derived from it, so it must stay the same across restarts and be the same on every node.
 * The first node to start makes it (or adopts the one an older server kept in its data dir);
 * every other node reads that one.
 */
export async function loadServerSecret(db: Db, dataDir: string): Promise<Buffer> {
  const candidate = (await readLegacySecret(dataDir)) ?? randomBytes(SECRET_BYTES);
  const secrets = new ServerSecretsRepository(db);
  await secrets.insertIfAbsent(NAME, candidate.toString('base64url'));
  const secret = Buffer.from(await secrets.get(NAME), 'base64url');
  if (secret.length !== SECRET_BYTES) throw new Error('the stored server secret is damaged');
  return secret;
}

async function readLegacySecret(dataDir: string): Promise<Buffer | null> {
  try {
    const secret = await readFile(path.join(dataDir, LEGACY_FILE));
    return secret.length === SECRET_BYTES ? secret : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
