import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Settings } from '../../storage-server/src/stores/s3-blob-store';
import { filesUnder } from './harness';

/** How s3rver names an object's body file on its disk. */
const OBJECT_SUFFIX = '._S3rver_object';
const BUCKET = 'coffre-test';

/** A local S3-compatible server on an ephemeral loopback port, with one empty bucket. */
export class S3Emulator {
  private constructor(
    private readonly server: S3rver,
    private readonly directory: string,
    private readonly endpoint: string,
  ) {}

  static async start(): Promise<S3Emulator> {
    const directory = await mkdtemp(path.join(tmpdir(), 'coffre-s3-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory,
      silent: true,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    return new S3Emulator(server, directory, `http://127.0.0.1:${port}`);
  }

  /** Settings for one server: a prefix of its own, so servers sharing the bucket never meet. */
  settings(prefix = `${randomBytes(6).toString('hex')}/`): S3Settings {
    return {
      endpoint: this.endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      prefix,
      forcePathStyle: true,
      // s3rver's fixed credentials.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    };
  }

  /** The same settings as a storage-server process reads them from its environment. */
  environment(settings = this.settings()): Record<string, string> {
    return {
      COFFRE_BLOB_STORE: 's3',
      COFFRE_S3_BUCKET: settings.bucket,
      COFFRE_S3_ENDPOINT: settings.endpoint ?? '',
      COFFRE_S3_REGION: settings.region,
      COFFRE_S3_PREFIX: settings.prefix,
      COFFRE_S3_FORCE_PATH_STYLE: '1',
      COFFRE_S3_ACCESS_KEY_ID: settings.credentials?.accessKeyId ?? '',
      COFFRE_S3_SECRET_ACCESS_KEY: settings.credentials?.secretAccessKey ?? '',
    };
  }

  /** Every chunk object under `prefix`, as `<contentId>/<index>-<chunkId>`. */
  async storedChunks(prefix: string): Promise<string[]> {
    const root = path.join(this.directory, BUCKET, prefix, 'chunks');
    return (await filesUnder(root))
      .filter((file) => file.endsWith(OBJECT_SUFFIX))
      .map((file) => file.slice(0, -OBJECT_SUFFIX.length).split(path.sep).join('/'));
  }

  async close(): Promise<void> {
    await this.server.close();
    await rm(this.directory, { recursive: true, force: true });
  }
}

let current: S3Emulator | null = null;

/** The emulator of this test file (started by stores-setup.ts), shared by its servers. */
export function currentS3Emulator(): S3Emulator {
  if (!current) throw new Error('no S3 emulator: run this suite as the integration-scale project');
  return current;
}

export function setCurrentS3Emulator(emulator: S3Emulator | null): void {
  current = emulator;
}
