// The page the P2P loopback tests and the benchmark drive (test/p2p, bench/p2p). It runs the
// client's own transport modules; window.p2pHarness is what Playwright calls.
import { initCrypto, sha256 } from '@coffre/core/crypto';
import { toBase64Url } from '@coffre/core/format';
import { dataFrames, encodeFrame } from '@coffre/core/protocol/peer-frames';
import { CryptoPool } from '../../../client/src/services/platform/crypto-pool';
import {
  receiveFromDevice,
  sendToDevice,
} from '../../../client/src/services/p2p/direct/paired-transfer';
import type { FrameChannel } from '../../../client/src/services/p2p/wire/frame-channel';
import { introduce } from '../../../client/src/services/p2p/wire/introduction';
import { MemorySink } from '../memory-sink';
import { sealFileOffer } from '../../../client/src/services/p2p/direct/offer';
import { p2pCrypto } from '../../../client/src/services/p2p/wire/p2p-crypto';
import { connectPeer } from '../../../client/src/services/p2p/wire/peer';
import { SignalingClient } from '../../../client/src/services/p2p/wire/signaling';
import type { ChunkSink } from '../../../client/src/services/p2p/wire/chunk-receiver';
import { sealedTestFile, type SealedTestFile } from '../sealed-file';
import { bareReceive, bareSend } from './bare-channel';
import { linkSeederHarness } from './link-seeder';
import { trackMemory } from './memory';
import { watchWire, type WireCounts } from './wire-counts';

export type Misbehaviour =
  'other-file' | 'duplicate' | 'out-of-order' | 'oversized' | 'garbage' | 'no-final';

export interface ReceiveResult {
  ok: boolean;
  code?: string;
  message?: string;
  /** Indexes the sink holds, sorted. */
  stored: number[];
  /** SHA-256 of the whole plaintext, when complete. */
  digest?: string;
  seconds: number;
  bytes: number;
  heapPeak: number;
}

const pool = new CryptoPool();
const sinks = new Map<string, MemorySink>();
const files = new Map<string, SealedTestFile>();
let staged: { size: number; chunks: Uint8Array[] } | null = null;
let stopWire: (() => WireCounts | null) | null = null;

async function fileOf(label: string, size: number): Promise<SealedTestFile> {
  await initCrypto();
  const key = `${label}:${size}`;
  if (!files.has(key)) files.set(key, sealedTestFile(label, size));
  return files.get(key)!;
}

const offered = (file: SealedTestFile) => ({
  nodeId: file.nodeId,
  revision: file.revision,
  name: 'harness.bin',
  mime: 'application/octet-stream',
  size: file.size,
  manifest: file.manifest,
  contentKey: toBase64Url(file.contentKey),
  count: file.count,
});

/** Counts the verified plaintext without keeping it: the benchmark's sink. */
class CountingSink implements ChunkSink {
  bytes = 0;
  async held() {
    return [];
  }
  async put(_index: number, plaintext: Uint8Array) {
    this.bytes += plaintext.byteLength;
  }
}

const harness = {
  /** Chunks the running receive holds, so a test can act in the middle of a transfer. */
  held: 0,

  /** The media grant that lets Chromium gather loopback candidates (stack.md §3). */
  async prepare(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.getTracks().forEach((track) => track.stop());
    await p2pCrypto();
  },

  newCode: async () => (await p2pCrypto()).newPairingCode(),

  /** Seals a test file's manifest ahead of a timed run (a 1 GiB file takes a while). */
  async warm(label: string, size: number): Promise<number> {
    return (await fileOf(label, size)).count;
  },

  /** Serves a test file; `failFrom` makes every chunk from that index on unreadable. */
  async send(o: {
    signalUrl: string;
    code: string;
    label: string;
    size: number;
    failFrom?: number;
  }) {
    const file = await fileOf(o.label, o.size);
    const asked: number[] = [];
    try {
      await sendToDevice({
        signalUrl: o.signalUrl,
        code: o.code,
        file: offered(file),
        readChunk: async (index) => {
          asked.push(index);
          if (o.failFrom !== undefined && index >= o.failFrom) throw new Error('unreadable');
          return file.chunk(index);
        },
      });
      return { ok: true, asked };
    } catch (error) {
      return { ok: false, asked, message: (error as Error).message };
    }
  },

  async receive(o: {
    signalUrl: string;
    code: string;
    sink?: string;
    stallMs?: number;
    count?: boolean;
  }): Promise<ReceiveResult> {
    const memory = trackMemory();
    const sink = o.count ? new CountingSink() : (sinks.get(o.sink ?? '') ?? new MemorySink());
    if (o.sink && sink instanceof MemorySink) sinks.set(o.sink, sink);
    // Timed from the verified offer to the last chunk: the bytes moving, not the introduction.
    let started = performance.now();
    const stored = () =>
      sink instanceof MemorySink ? [...sink.chunks.keys()].sort((a, b) => a - b) : [];
    try {
      const held = await receiveFromDevice({
        signalUrl: o.signalUrl,
        code: o.code,
        sink,
        stallMs: o.stallMs,
        openChunk: (args) => pool.run('openChunk', args, [args.chunk]),
        onOffer: () => (started = performance.now()),
        onProgress: (held) => (harness.held = held),
      });
      const { count } = held;
      const seconds = (performance.now() - started) / 1000;
      const digest =
        sink instanceof MemorySink
          ? toBase64Url(sha256(new Uint8Array(await sink.plaintext(count).arrayBuffer())))
          : undefined;
      return {
        ok: true,
        stored: stored(),
        digest,
        seconds,
        bytes: sink instanceof CountingSink ? sink.bytes : 0,
        heapPeak: memory.stop(),
      };
    } catch (error) {
      const e = error as { code?: string; message: string };
      return {
        ok: false,
        code: e.code,
        message: e.message,
        stored: stored(),
        seconds: 0,
        bytes: 0,
        heapPeak: memory.stop(),
      };
    }
  },

  /** SHA-256 of a test file's plaintext, to compare with what a receiver assembled. */
  async digestOf(label: string, size: number): Promise<string> {
    const file = await fileOf(label, size);
    const parts = Array.from({ length: file.count }, (_, i) => file.plainChunk(i));
    return toBase64Url(sha256(new Uint8Array(await new Blob(parts).arrayBuffer())));
  },

  /** Pairs and connects honestly, offers honestly, then answers the first request badly. */
  async misbehave(o: {
    signalUrl: string;
    code: string;
    label: string;
    size: number;
    how: Misbehaviour;
  }) {
    const core = await p2pCrypto();
    const file = await fileOf(o.label, o.size);
    const other = await fileOf(`${o.label} (another file)`, o.size);
    const signaling = await SignalingClient.connect(o.signalUrl);
    const signals = await introduce(signaling, core.pairingHandshake(o.code, 'sender'));
    const connection = await connectPeer(signals, true, []);
    const channel: FrameChannel = connection.frames;
    const sealed = await sealFileOffer(signals.sessionKey, signals.roomId, offered(file));
    const received: string[] = [];
    const requested = new Promise<void>((resolve) => {
      channel.onFrame((bytes) => {
        received.push(String(bytes[0]));
        if (bytes[0] === 3) resolve(); // request
      });
    });
    await channel.send(encodeFrame({ type: 'hello', version: 1 }));
    for (const frame of dataFrames('offer', sealed.length, sealed)) await channel.send(frame);
    await requested;
    const frames = (index: number, chunk: Uint8Array) => [...dataFrames('chunk', index, chunk)];
    const script: Record<Misbehaviour, () => Uint8Array[]> = {
      'other-file': () => frames(0, other.chunk(0)),
      duplicate: () => [...frames(0, file.chunk(0)), ...frames(0, file.chunk(0))],
      'out-of-order': () => frames(0, file.chunk(0)).reverse(),
      oversized: () => [Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i === 0 ? 4 : 0))],
      garbage: () => [
        crypto.getRandomValues(new Uint8Array(300)).map((b, i) => (i === 0 ? 0xee : b)),
      ],
      'no-final': () => {
        const all = Array.from({ length: file.count }, (_, i) => frames(i, file.chunk(i))).flat();
        return all.slice(0, -1); // everything but the last frame of the last chunk
      },
    };
    try {
      for (const frame of script[o.how]()) await channel.send(frame);
    } catch {
      // The receiver closed the channel on a fault: what this script is here to provoke.
    }
    // Keep the connection open long enough for the receiver to judge and say so.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    connection.destroy();
    signaling.close();
    return { received };
  },

  /**
   * Seals the benchmark's file once and keeps its chunks in memory, as the app holds sealed chunks
   * in storage, so the timed run does not seal on the sender's thread. (A Blob of 1 GiB built in
   * the page is refused by Chromium's blob storage: its reads fail.)
   */
  async stage(size: number): Promise<number> {
    const file = await fileOf('bench', size);
    staged = null;
    const chunks = Array.from({ length: file.count }, (_, i) => file.chunk(i));
    staged = { size, chunks };
    return chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  },

  /** Serves the staged benchmark file. */
  async benchSend(o: { signalUrl: string; code: string; size: number }) {
    const file = await fileOf('bench', o.size);
    const source = staged;
    if (source?.size !== o.size) throw new Error('stage() the benchmark file first');
    try {
      await sendToDevice({
        signalUrl: o.signalUrl,
        code: o.code,
        file: offered(file),
        readChunk: async (index) => source.chunks[index]!,
      });
      return { ok: true };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  },
  /** Reads the next connection's wire counters until `wireCounts` (bench --wire). */
  watchWire(): void {
    stopWire = watchWire();
  },

  wireCounts(): WireCounts | null {
    const counts = stopWire?.() ?? null;
    stopWire = null;
    return counts;
  },
  bareSend,
  bareReceive,
  linkSeeder: linkSeederHarness,
};

declare global {
  interface Window {
    p2pHarness: typeof harness;
  }
}
window.p2pHarness = harness;
