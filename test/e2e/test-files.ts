import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestFile {
  /** Path relative to the upload root, as it shows in the drive. */
  relative: string;
  absolute: string;
  content: Buffer;
}

/** Writes files of random bytes (or given text) under a fresh temporary directory. */
export async function makeFiles(spec: Record<string, number | string>) {
  const root = await mkdtemp(path.join(tmpdir(), 'coffre-files-'));
  const files: TestFile[] = [];
  for (const [relative, what] of Object.entries(spec)) {
    const absolute = path.join(root, relative);
    await mkdir(path.dirname(absolute), { recursive: true });
    const content = typeof what === 'number' ? randomBytes(what) : Buffer.from(what, 'utf8');
    await writeFile(absolute, content);
    files.push({ relative, absolute, content });
  }
  return { root, files };
}
