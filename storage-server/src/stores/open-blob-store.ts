import type { Config } from '../config';
import type { BlobStore } from './blob-store';
import { DiskBlobStore } from './disk-blob-store';
import { S3BlobStore } from './s3-blob-store';

/** The configured store, ready to serve: its temp files from a crash are gone. */
export async function openBlobStore(config: Config): Promise<BlobStore> {
  const store =
    config.blobStore.kind === 's3'
      ? new S3BlobStore(config.blobStore.s3, config.dataDir)
      : new DiskBlobStore(config.dataDir);
  await store.init();
  await store.clearTemp();
  return store;
}
