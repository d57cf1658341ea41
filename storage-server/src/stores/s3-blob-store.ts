import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { isId } from '@coffre/core/format';
import {
  checkedContentId,
  chunkName,
  type BlobStore,
  type ByteRange,
  type ChunkKey,
  type ReceivedChunk,
} from './blob-store';
import { TempChunks } from './temp-chunks';

export interface S3Settings {
  /** e.g. https://s3.eu-west-1.amazonaws.com, http://127.0.0.1:9000 (MinIO, Garage, Ceph RGW). */
  endpoint: string | null;
  region: string;
  bucket: string;
  /** Key prefix inside the bucket, so one bucket can hold other things too. */
  prefix: string;
  /** Path-style URLs (bucket in the path): what MinIO, Garage, Ceph RGW and local emulators want. */
  forcePathStyle: boolean;
  /** Null: the SDK's default chain (env AWS_ACCESS_KEY_ID…, shared config, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * Chunks as objects in an S3-compatible bucket: `<prefix>chunks/<contentId>/<index>-<chunkId>`.
 * A body is received (hashed, measured) into a local temp file first, so only an accepted chunk
 * is sent on, streamed from that file with its exact length — never buffered in memory. Every
 * process of a deployment sees the same objects, so any node can serve any chunk.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly temp: TempChunks;
  private readonly root: string;

  constructor(
    private readonly settings: S3Settings,
    dataDir: string,
  ) {
    this.client = new S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    });
    // Temp files are per process: a name collision across nodes is impossible (random names),
    // and a crash leaves only this node's own leftovers for clearTemp.
    this.temp = new TempChunks(path.join(dataDir, 'tmp'));
    this.root = `${settings.prefix}chunks/`;
  }

  async init(): Promise<void> {
    await this.temp.init();
  }

  receive(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReceivedChunk> {
    return this.temp.receive(source, maxBytes);
  }

  async place(received: ReceivedChunk, key: ChunkKey): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.keyOf(key),
        Body: createReadStream(received.temp),
        ContentLength: received.size,
        ContentType: 'application/octet-stream',
        // The store checks the bytes it got against the hash the server computed.
        ChecksumSHA256: Buffer.from(received.sha256, 'base64url').toString('base64'),
      }),
    );
    await this.temp.discard(received);
  }

  discard(received: ReceivedChunk): Promise<void> {
    return this.temp.discard(received);
  }

  async read(key: ChunkKey, range: ByteRange | null): Promise<Readable> {
    const answer = await this.client.send(
      new GetObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.keyOf(key),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    if (!(answer.Body instanceof Readable)) throw new Error('no body from the object store');
    return answer.Body;
  }

  async remove(key: ChunkKey): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }),
    );
  }

  async removeContent(contentId: string): Promise<void> {
    const prefix = `${this.root}${checkedContentId(contentId)}/`;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.settings.bucket,
          Prefix: prefix,
          MaxKeys: DELETE_BATCH,
        }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      if (keys.length === 0) return;
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.settings.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      // Listing again rather than following the token: the deleted page is gone from it.
      if (!page.IsTruncated) return;
    }
  }

  async listContentIds(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.settings.bucket,
          Prefix: this.root,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const { Prefix } of page.CommonPrefixes ?? []) {
        const id = Prefix?.slice(this.root.length, -1);
        if (id !== undefined && isId(id)) ids.push(id);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return ids;
  }

  clearTemp(): Promise<void> {
    return this.temp.clear();
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
  }

  private keyOf(key: ChunkKey): string {
    return this.root + chunkName(key);
  }
}
