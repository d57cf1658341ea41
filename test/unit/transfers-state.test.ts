import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  FailureValue,
  TransferEvent,
  TransferSnapshot,
} from '../../client/src/services/contract';
import { TransferList } from '../../client/src/services/transfers/transfer-list';
import type { Message } from '../../client/src/state/app/messages';
import { say as words } from '../../client/src/ui/lib/messages';

// The panel's state (state/drive/transfers.svelte.ts) against the services' real transfer list:
// `services.onTransfers` is the list's own subscription, so the state sees exactly its events.
const feed = vi.hoisted(() => ({
  list: null as { subscribe(listener: (event: TransferEvent) => void): () => void } | null,
}));
vi.mock('../../client/src/services', () => ({
  services: {
    onTransfers: (listener: (event: TransferEvent) => void) => feed.list!.subscribe(listener),
  },
}));

const { transfers } = await import('../../client/src/state/drive/transfers.svelte');
const { announcer } = await import('../../client/src/state/app/announcer.svelte');

/** What the panel asked the announcer to say, in words (a name's isolating marks left out). */
const say = vi.spyOn(announcer, 'say');
const spoken = (message: Message) => words(message).replace(/[\u2068\u2069]/g, '');
const said = () => spoken(say.mock.lastCall![0]);

/** A refusal in the server's words. */
const refused = (sentence: string): FailureValue => ({
  kind: 'server',
  status: 409,
  code: 'conflict',
  said: sentence,
});

let list: TransferList;
let finished: TransferSnapshot[];
let unfollow: () => void;

beforeEach(() => {
  transfers.stop();
  say.mockClear();
  list = new TransferList();
  feed.list = list;
  finished = [];
  unfollow = transfers.onFinish((transfer) => finished.push(transfer));
});

afterEach(() => unfollow());

describe('the transfers panel', () => {
  it('opens on a new transfer and follows it through to done', async () => {
    transfers.start();
    const { id } = list.add('download', 'report.pdf', 1000, null);
    expect(transfers.open).toBe(true);
    expect(transfers.items.map((t) => t.name)).toEqual(['report.pdf']);

    list.start(id);
    list.progress(id, 400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(transfers.active[0]).toMatchObject({ state: 'running', done: 400 });

    list.finish(id, 'done');
    expect(transfers.active).toEqual([]);
    expect(transfers.hasFinished).toBe(true);
    expect(finished.map((t) => [t.name, t.state])).toEqual([['report.pdf', 'done']]);
  });

  it('lists what was there before it started, opening only for what is still on its way', () => {
    const done = list.add('download', 'old.pdf', 10, null);
    list.finish(done.id, 'done');
    transfers.start();
    expect(transfers.items.map((t) => t.name)).toEqual(['old.pdf']);
    expect(transfers.open).toBe(false);
    expect(finished).toEqual([]);

    transfers.stop();
    list.add('upload', 'queued.txt', 10, 'folder');
    transfers.start();
    expect(transfers.open).toBe(true);
    expect(transfers.pendingIn('folder').map((t) => t.name)).toEqual(['queued.txt']);
  });

  it('says once when an upload pauses, waits for the network or starts sending', () => {
    transfers.start();
    const { id } = list.add('upload', 'notes.txt', 10, 'folder');
    list.show(id, { state: 'queued', phase: 'waiting-network' });
    expect(said()).toBe('Upload of notes.txt is waiting for the network.');
    list.show(id, { state: 'queued', phase: null });
    list.show(id, { state: 'running', phase: 'uploading' });
    expect(said()).toBe('Uploading notes.txt.');
    list.show(id, { state: 'paused', phase: null });
    list.show(id, { state: 'paused', phase: null });
    expect(say.mock.calls.map(([message]) => spoken(message))).toEqual([
      'Upload of notes.txt is waiting for the network.',
      'Uploading notes.txt.',
      'Upload of notes.txt paused.',
    ]);
  });

  it('says why a download paused', () => {
    transfers.start();
    const { id } = list.add('download', 'movie.mkv', 10, null);
    list.start(id);
    const refusal: FailureValue = {
      kind: 'quota',
      status: 429,
      code: 'transfer_quota_exceeded',
      said: 'The monthly transfer quota is used up.',
      quota: 'transfer',
      figures: null,
    };
    void list.pause(id, refusal).catch(() => undefined);
    expect(said()).toBe('Download of movie.mkv paused. The monthly transfer quota is used up.');
  });

  it('tells its listeners each time an upload fails, also after a retry', () => {
    transfers.start();
    const { id } = list.add('upload', 'notes.txt', 10, 'folder');
    list.show(id, { state: 'failed', phase: null, error: refused('Refused.'), canRetry: true });
    list.show(id, { state: 'queued', error: null, canRetry: false });
    list.show(id, {
      state: 'failed',
      phase: null,
      error: refused('Refused again.'),
      canRetry: true,
    });
    expect(finished.map((t) => t.error && words(t.error))).toEqual(['Refused.', 'Refused again.']);
  });

  it('drops a transfer the list removed, and keeps cleared ones out of sight', () => {
    transfers.start();
    const kept = list.add('download', 'kept.pdf', 10, null);
    const gone = list.add('upload', 'gone.txt', 10, 'folder');
    list.remove(gone.id);
    expect(transfers.items.map((t) => t.name)).toEqual(['kept.pdf']);
    list.finish(kept.id, 'done');
    transfers.clearFinished();
    expect(transfers.items).toEqual([]);
    expect(transfers.open).toBe(false);
  });
});
