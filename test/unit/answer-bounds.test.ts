// Bound before you allocate (protocol.md §3, "Answer sizes"): no answer of the storage server is
// read past the size its route allows. The cap of a route follows from its schema's limits, the
// file record's from the file's chunk count, and the capped reader stops at the first byte over.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as protocol from '@coffre/core/protocol';
import { check, ErrorBody, LinkNodeList, NodeList } from '@coffre/core/protocol';
import { MAX_CHUNK_CIPHER_SIZE, MAX_CHUNKS, MAX_LIST_NODES } from '@coffre/core/format';
import { largestAnswer } from '../../client/src/services/platform/answer-size';
import { Api, readAtMost } from '../../client/src/services/platform/http-client';
import { BadAnswerError, NetworkError } from '../../client/src/services/platform/errors';
import { fileAnswer } from '../../client/src/services/downloads/file-source';

const KiB = 1024;

/** A body that yields `total` bytes in parts of `part`, counting what was pulled from it. */
function countedBody(total: number, part = 16 * KiB) {
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = Math.min(part, total - pulled.bytes);
      if (size <= 0) return controller.close();
      pulled.bytes += size;
      controller.enqueue(new Uint8Array(size).fill(0x41));
    },
  });
  return { stream, pulled };
}

function answer(body: BodyInit | null, headers: Record<string, string> = {}, status = 200) {
  return new Response(body, { status, headers });
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('the capped reader', () => {
  it('accepts a body of exactly the cap, without and with its length declared', async () => {
    const body = new Uint8Array(5000).fill(7);
    expect((await readAtMost(answer(body.slice()), 5000)).byteLength).toBe(5000);
    const declared = answer(body.slice(), { 'Content-Length': '5000' });
    expect(await readAtMost(declared, 5000)).toEqual(body);
  });

  it('refuses one byte over the cap, and stops reading at the first part past it', async () => {
    await expect(readAtMost(answer(new Uint8Array(5001)), 5000)).rejects.toMatchObject({
      kind: 'bad-answer',
      reason: 'too-large',
    });
    const { stream, pulled } = countedBody(300 * 1024 * KiB);
    await expect(readAtMost(answer(stream), 40 * KiB)).rejects.toBeInstanceOf(BadAnswerError);
    expect(pulled.bytes).toBeLessThanOrEqual(64 * KiB);
  });

  it('refuses a declared length over the cap before reading a byte', async () => {
    const { stream, pulled } = countedBody(300 * 1024 * KiB);
    const declared = answer(stream, { 'Content-Length': String(300 * 1024 * KiB) });
    await expect(readAtMost(declared, 6110)).rejects.toMatchObject({ reason: 'too-large' });
    expect(pulled.bytes).toBeLessThanOrEqual(16 * KiB); // at most what the stream queued itself
  });

  it('refuses a lying Content-Length: more bytes than declared, or fewer', async () => {
    const { stream, pulled } = countedBody(10 * 1024 * KiB);
    const longer = answer(stream, { 'Content-Length': '100' });
    await expect(readAtMost(longer, 1024 * KiB)).rejects.toMatchObject({ reason: 'too-large' });
    expect(pulled.bytes).toBeLessThanOrEqual(32 * KiB);
    const shorter = answer(new Uint8Array(60), { 'Content-Length': '100' });
    await expect(readAtMost(shorter, 1024 * KiB)).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('does not trust a length that counts encoded bytes', async () => {
    const encoded = answer(new Uint8Array(900), {
      'Content-Length': '100',
      'Content-Encoding': 'gzip',
    });
    expect((await readAtMost(encoded, 1000)).byteLength).toBe(900);
  });

  it('reads a whole chunk into one buffer of its own', async () => {
    const { stream } = countedBody(MAX_CHUNK_CIPHER_SIZE, 64 * KiB);
    const chunk = answer(stream, { 'Content-Length': String(MAX_CHUNK_CIPHER_SIZE) });
    const bytes = await readAtMost(chunk, MAX_CHUNK_CIPHER_SIZE);
    expect(bytes.byteLength).toBe(MAX_CHUNK_CIPHER_SIZE);
    expect(bytes.buffer.byteLength).toBe(MAX_CHUNK_CIPHER_SIZE);
  });
});

/** The largest answer about a file of `count` chunks, built from the spec's figures alone. */
function largestFileAnswer(count: number): string {
  const base64 = (bytes: number) => 'A'.repeat(Math.ceil((bytes * 4) / 3));
  return JSON.stringify({
    nodeId: 'A'.repeat(22),
    revision: Number.MAX_SAFE_INTEGER,
    wrappedContentKey: base64(256),
    manifest: base64(64 * count + 4096),
    size: Number.MAX_SAFE_INTEGER,
    chunks: Array.from({ length: count }, () => ({
      index: 2 ** 28 - 1,
      id: 'A'.repeat(43),
      size: 4_194_345,
    })),
  });
}

describe('answer sizes', () => {
  it('bounds the file record by the file’s chunk count: 477 + 86·n + ⌈4·(64·n + 4096)/3⌉', () => {
    for (const count of [1, 2, 3, 256, 10_000]) {
      const text = largestFileAnswer(count);
      const bound = 477 + 86 * count + Math.ceil((4 * (64 * count + 4096)) / 3);
      expect(largestAnswer(fileAnswer(count)), String(count)).toBe(bound);
      expect(bytesOf(text).byteLength, String(count)).toBe(bound);
      expect(() => check(fileAnswer(count), JSON.parse(text))).not.toThrow();
    }
    expect(largestAnswer(fileAnswer(1))).toBe(6110);
  });

  it('refuses a file record of another chunk count', () => {
    const three = JSON.parse(largestFileAnswer(3));
    expect(() => check(fileAnswer(2), three)).toThrow();
    expect(() => check(fileAnswer(4), three)).toThrow();
  });

  it('bounds a listing by the list limit and the largest node', () => {
    const id = 'A'.repeat(22);
    const node = {
      id,
      parentId: id,
      type: 'folder',
      wrappedKey: 'A'.repeat(342),
      encMeta: 'A'.repeat(5462),
      createdAt: Number.MAX_SAFE_INTEGER,
      trashedAt: Number.MAX_SAFE_INTEGER,
      file: {
        revision: Number.MAX_SAFE_INTEGER,
        wrappedContentKey: 'A'.repeat(342),
        size: Number.MAX_SAFE_INTEGER,
        chunkCount: Number.MAX_SAFE_INTEGER,
      },
    };
    const nodeBytes = JSON.stringify(node).length;
    const list = (n: number) => '{"nodes":[]}'.length + n * nodeBytes + (n - 1);
    expect(largestAnswer(NodeList)).toBe(list(MAX_LIST_NODES));
    expect(largestAnswer(NodeList)).toBe(643_100_011);
    const { trashedAt: _, ...linkNode } = node;
    const linkList = (n: number) =>
      '{"nodes":[]}'.length + n * JSON.stringify(linkNode).length + (n - 1);
    expect(largestAnswer(LinkNodeList)).toBe(linkList(MAX_LIST_NODES));
  });

  it('counts a free-text character as its six-byte escape', () => {
    const message = '\u0001'.repeat(1024);
    const envelope = JSON.stringify({
      error: {
        code: 'transfer_quota_exceeded',
        message,
        details: {
          needed: Number.MAX_SAFE_INTEGER,
          used: Number.MAX_SAFE_INTEGER,
          quota: Number.MAX_SAFE_INTEGER,
          resetsAt: Number.MAX_SAFE_INTEGER,
        },
      },
    });
    expect(largestAnswer(ErrorBody)).toBe(envelope.length);
  });

  it('gives every answer the client reads a bound', () => {
    const answers = [
      'Account',
      'CreateUploadResponse',
      'ErrorBody',
      'FileManifestResponse',
      'LinkIdResponse',
      'LinkNodeList',
      'LinkResponse',
      'NodeList',
      'NodeResponse',
      'OwnerLinkList',
      'OwnerLinkResponse',
      'PlanCatalog',
      'PreloginResponse',
      'SessionResponse',
      'UploadStatus',
      'UsageBreakdown',
    ] as const;
    for (const name of answers) {
      expect(largestAnswer(protocol[name]), name).toBeGreaterThan(0);
      expect(Number.isSafeInteger(largestAnswer(protocol[name])), name).toBe(true);
    }
    expect(MAX_CHUNKS).toBe(2 ** 28);
  });

  it('refuses a schema that leaves a size open', () => {
    expect(() => largestAnswer(protocol.IceServersResponse)).toThrow(/no size bound/);
  });
});

describe('a JSON answer through the API client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('refuses a 300 MB answer about a one-chunk file after reading at most its bound', async () => {
    const { stream, pulled } = countedBody(300 * 1024 * KiB);
    vi.stubGlobal('fetch', async () => answer(stream));
    const api = new Api();
    await expect(api.json('GET', '/api/v1/files/x', fileAnswer(1))).rejects.toMatchObject({
      kind: 'bad-answer',
      reason: 'too-large',
    });
    expect(pulled.bytes).toBeLessThanOrEqual(6110 + 32 * KiB); // and what the stream queued ahead
  });

  it('accepts the largest answer at its bound and refuses one more byte', async () => {
    const text = largestFileAnswer(1);
    vi.stubGlobal('fetch', async () => answer(text));
    await expect(new Api().json('GET', '/x', fileAnswer(1))).resolves.toMatchObject({
      revision: Number.MAX_SAFE_INTEGER,
    });
    vi.stubGlobal('fetch', async () => answer(text + ' '));
    await expect(new Api().json('GET', '/x', fileAnswer(1))).rejects.toMatchObject({
      reason: 'too-large',
    });
  });

  it('reads an error envelope no further than the largest envelope', async () => {
    const { stream, pulled } = countedBody(300 * 1024 * KiB);
    vi.stubGlobal('fetch', async () => answer(stream, {}, 500));
    await expect(new Api().json('GET', '/x', NodeList)).rejects.toMatchObject({
      kind: 'server',
      status: 500,
    });
    expect(pulled.bytes).toBeLessThanOrEqual(largestAnswer(ErrorBody) + 32 * KiB);
  });

  it('tells a body cut by the network from a refusal', async () => {
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytesOf('{"nodes":['));
        controller.error(new TypeError('network error'));
      },
    });
    vi.stubGlobal('fetch', async () => answer(cut));
    await expect(new Api().json('GET', '/x', NodeList)).rejects.toBeInstanceOf(NetworkError);
  });
});
