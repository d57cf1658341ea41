// Uploads: each file is cut into chunks read one slice at a time (never the whole file), sealed in
// the worker pool and sent with bounded parallelism, so memory stays flat whatever the size:
// at most CHUNKS_IN_FLIGHT plaintext+ciphertext pairs exist per file. The manifest is signed and
// the upload committed only when every chunk is stored.
import {
  CHUNK_SIZE,
  MAX_FILE_SIZE,
  chunkCount,
  cipherSize,
  plainChunkSize,
} from '../../../core/format';
import type { NodeMeta } from '../../../core/crypto';
import {
  CHUNK_SHA256_HEADER,
  CreateUploadResponse,
  NodeResponse,
  ROUTES,
  apiPath,
} from '../../../core/protocol';
import type { OpenSession } from './account';
import type { Api } from './api';
import type { CryptoPool } from './crypto-pool';
import { coreCrypto } from './crypto-main';
import type { DriveService } from './drive';
import { describeError, InvalidRequestError } from './errors';
import { runBounded, withRetry } from './retry';
import type { Transfers } from './transfers';

/** Chunks of one file being read, sealed or sent at once: keeps the workers and the line busy. */
const CHUNKS_IN_FLIGHT = 4;
/** Files uploading at once; the rest wait in the queue. */
const FILES_AT_ONCE = 2;
const REVISION = 1;

interface Job {
  transferId: string;
  signal: AbortSignal;
  file: File;
  /** Resolves to the folder the file goes into (created for folder uploads). */
  folder: () => Promise<string>;
}

export class UploadService {
  private readonly queue: Job[] = [];
  private running = 0;

  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly transfers: Transfers,
    private readonly session: () => OpenSession,
  ) {}

  upload(parentId: string, files: File[]): void {
    const folders = new FolderChains(this.drive, parentId);
    for (const file of files) {
      const { id, signal } = this.transfers.add('upload', file.name, file.size, parentId);
      const dirs = (file.webkitRelativePath || '').split('/').slice(0, -1);
      this.queue.push({ transferId: id, signal, file, folder: () => folders.folderFor(dirs) });
    }
    this.pump();
  }

  private pump(): void {
    while (this.running < FILES_AT_ONCE && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.signal.aborted) continue;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    this.transfers.start(job.transferId);
    try {
      await this.send(job);
      this.transfers.finish(job.transferId, 'done');
    } catch (error) {
      if (!job.signal.aborted) {
        console.warn('upload failed', error);
        this.transfers.finish(job.transferId, 'failed', describeError(error));
      }
    }
  }

  private async send({ file, signal, transferId, folder }: Job): Promise<void> {
    if (file.size > MAX_FILE_SIZE)
      throw new InvalidRequestError('This file is larger than the largest file Coffre stores.');
    const core = await coreCrypto();
    core.validateName(file.name);
    const parent = await this.drive.folder(await folder());
    signal.throwIfAborted();

    const meta: NodeMeta = {
      name: file.name,
      mtime: file.lastModified || null,
      mime: file.type || null,
      size: file.size,
    };
    const node = core.createNode(parent.id, parent.key, 'file', meta);
    const { contentKey, wrappedContentKey } = core.createContentKey(node.id, node.key, REVISION);
    const count = chunkCount(file.size);
    const { uploadId } = await this.api.json('POST', ROUTES.uploads, CreateUploadResponse, {
      signal,
      body: {
        nodeId: node.id,
        parentId: parent.id,
        wrappedKey: node.wrappedKey,
        encMeta: node.encMeta,
        revision: REVISION,
        wrappedContentKey,
        size: cipherSize(file.size),
        chunkCount: count,
      },
    });

    try {
      const ids: string[] = new Array<string>(count);
      await runBounded(count, CHUNKS_IN_FLIGHT, async (index) => {
        const start = index * CHUNK_SIZE;
        const length = plainChunkSize(file.size, index);
        const plaintext = await file.slice(start, start + length).arrayBuffer();
        signal.throwIfAborted();
        const context = { contentKey, nodeId: node.id, revision: REVISION, count, index };
        const { chunk, id } = await this.pool.run('sealChunk', { ...context, plaintext }, [
          plaintext,
        ]);
        ids[index] = id;
        // A Blob body is much faster to send than an ArrayBuffer one in Chromium.
        const body = new Blob([chunk]);
        await withRetry(
          () =>
            this.api.upload(
              apiPath.uploadChunk(uploadId, index),
              body,
              { [CHUNK_SHA256_HEADER]: id },
              signal,
            ),
          signal,
        );
        this.transfers.progress(transferId, length);
      });

      const { keys } = this.session();
      const manifest = core.sealManifest(
        { nodeId: node.id, revision: REVISION, size: file.size, chunks: ids },
        contentKey,
        {
          publicKey: keys.signPublicKey,
          secretKey: keys.signSecretKey,
        },
      );
      const committed = await withRetry(
        () =>
          this.api.json('POST', apiPath.uploadCommit(uploadId), NodeResponse, {
            body: { manifest, chunks: ids },
            signal,
          }),
        signal,
      );
      this.drive.remember({
        id: node.id,
        parentId: parent.id,
        type: 'file',
        key: node.key,
        meta,
        createdAt: committed.node.createdAt,
      });
    } catch (error) {
      // Free the server's reservation; the session would expire anyway, so a failure here is moot.
      this.api.empty('DELETE', apiPath.upload(uploadId)).catch(() => undefined);
      throw error;
    }
  }
}

/** Creates each folder of a folder upload once, however many files it holds. */
class FolderChains {
  private readonly made = new Map<string, Promise<string>>();

  constructor(
    private readonly drive: DriveService,
    private readonly rootId: string,
  ) {}

  folderFor(dirs: string[]): Promise<string> {
    if (dirs.length === 0) return Promise.resolve(this.rootId);
    const path = dirs.join('/');
    let folder = this.made.get(path);
    if (!folder) {
      folder = this.folderFor(dirs.slice(0, -1)).then(
        async (parentId) => (await this.drive.makeFolder(parentId, dirs[dirs.length - 1]!)).id,
      );
      this.made.set(path, folder);
      // A failed folder may be retried by the next file that needs it.
      folder.catch(() => this.made.delete(path));
    }
    return folder;
  }
}
