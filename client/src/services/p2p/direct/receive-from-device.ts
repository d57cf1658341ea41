// Receiving a file from another device into this browser's store (received-store.ts), then saving it to
// disk through the same streamed path as downloads. No account is needed: the pairing code is
// the whole introduction, and the offer carries the content key (format.md §13.6).
import { CHUNK_SIZE, plainChunkSize } from '@coffre/core/format';
import type { DirectStep, ReceivedItem } from '../../contract';
import type { CryptoPool } from '../../platform/crypto-pool';
import type { DownloadService } from '../../downloads/download-service';
import { InvalidRequestError } from '../../platform/errors';
import {
  IdbSink,
  discardReceived,
  heldCount,
  receivedChunk,
  receivedFile,
  receivedFiles,
  type ReceivedFile,
} from './received-store';
import { p2pCrypto } from '../wire/p2p-crypto';
import { signalServerUrl } from '../wire/signal-config';

function bytesOf(size: number, chunks: number): number {
  return Math.min(size, chunks * CHUNK_SIZE);
}

function itemOf(record: ReceivedFile): ReceivedItem {
  const held = heldCount(record);
  return {
    id: record.file,
    name: record.name,
    size: record.size,
    held: bytesOf(record.size, held),
    complete: held === record.count,
  };
}

export class DirectReceiver {
  constructor(
    private readonly pool: CryptoPool,
    private readonly downloads: DownloadService,
  ) {}

  /** Parses without loading anything from the network beyond the app's own code. */
  async checkCode(text: string): Promise<string> {
    const core = await p2pCrypto();
    try {
      return core.parsePairingCode(text);
    } catch (error) {
      throw new InvalidRequestError({
        key: 'bad-code',
        detail: error instanceof Error ? error.message : null,
      });
    }
  }

  async receive(
    text: string,
    events: {
      onStep(step: DirectStep): void;
      onOffer(item: ReceivedItem): void;
      onProgress(bytes: number): void;
    },
    signal: AbortSignal,
  ): Promise<ReceivedItem> {
    const code = await this.checkCode(text);
    const signalUrl = await signalServerUrl();
    if (signalUrl === null)
      throw new InvalidRequestError({ key: 'direct-unavailable', role: 'receiver' });
    let sink: IdbSink | null = null;
    let size = 0;
    // The WebRTC and relay code loads only when a transfer starts.
    const [{ receiveFromDevice }, { directError }] = await Promise.all([
      import('./paired-transfer'),
      import('./failures'),
    ]);
    await receiveFromDevice({
      signalUrl,
      code,
      signal,
      onStep: events.onStep,
      openChunk: (args) => this.pool.run('openChunk', args, [args.chunk]),
      sink: async (offer) => {
        sink = await IdbSink.open(offer);
        size = offer.size;
        const record = await receivedFile(sink.file);
        if (record) events.onOffer(itemOf(record));
        return sink;
      },
      onProgress: (held) => events.onProgress(bytesOf(size, held)),
    }).catch((error: unknown) => {
      throw signal.aborted ? error : directError(error, 'receiver');
    });
    const record = sink === null ? undefined : await receivedFile((sink as IdbSink).file);
    if (!record) throw new InvalidRequestError({ key: 'received-discarded' });
    return itemOf(record);
  }

  async received(): Promise<ReceivedItem[]> {
    return (await receivedFiles()).map(itemOf);
  }

  /** Streams the stored chunks in order (one in memory at a time), then deletes them. */
  async save(id: string): Promise<boolean> {
    const record = await receivedFile(id);
    if (!record) throw new InvalidRequestError({ key: 'received-gone' });
    if (heldCount(record) !== record.count)
      throw new InvalidRequestError({ key: 'received-incomplete' });
    let next = 0;
    const saved = await this.downloads.saveLocal(record.name, record.size, async () => ({
      filename: record.name,
      length: record.size,
      total: record.size,
      read: async () => {
        if (next >= record.count) return null;
        const index = next++;
        const bytes = await receivedChunk(id, index);
        if (bytes.byteLength !== plainChunkSize(record.size, index))
          throw new InvalidRequestError({ key: 'received-damaged' });
        return bytes;
      },
    }));
    if (saved) await discardReceived(id);
    return saved;
  }

  discard(id: string): Promise<void> {
    return discardReceived(id);
  }
}
