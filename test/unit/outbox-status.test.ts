// One owner for an upload's status: the outbox repository moves it only through the state
// machine, whoever asks (the sealing, the sender, the queue following another tab), and writes
// the item it holds and its IndexedDB row together. Runs on an in-memory IndexedDB, with a fake
// storage server and the Web Locks and BroadcastChannel the tabs of one origin share.
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHUNK_SIZE } from '@coffre/core/format';
import { ROUTES, apiPath } from '@coffre/core/protocol';
import type { AccountKeys } from '@coffre/core/crypto';
import type { OpenSession } from '../../client/src/services/account/account-service';
import type { DriveService } from '../../client/src/services/drive/drive-service';
import type { Connectivity } from '../../client/src/services/platform/connectivity';
import type { CryptoPool } from '../../client/src/services/platform/crypto-pool';
import { coreCrypto } from '../../client/src/services/platform/crypto-main';
import type { FailureValue } from '../../client/src/services/contract';
import {
  failureValue,
  NotFoundError,
  QuotaRefusedError,
} from '../../client/src/services/platform/errors';
import type { Api } from '../../client/src/services/platform/http-client';
import type { UploadWakeLock } from '../../client/src/services/platform/wake-lock';
import type { OutboxItem } from '../../client/src/services/outbox/item';
import type * as Machine from '../../client/src/services/outbox/machine';
import {
  OutboxTransitionError,
  type ItemStatus,
  type OutboxEvent,
} from '../../client/src/services/outbox/machine';
import { UploadService } from '../../client/src/services/outbox/queue';
import { OutboxRepository } from '../../client/src/services/outbox/repository';
import { OutboxSealing } from '../../client/src/services/outbox/sealing';
import { OutboxSender } from '../../client/src/services/outbox/sender';
import { outboxRecord, patchRecord, progressOf } from '../../client/src/services/outbox/store';
import { OutboxTabs } from '../../client/src/services/outbox/tabs';
import { OutboxView } from '../../client/src/services/outbox/view';
import { TransferList } from '../../client/src/services/transfers/transfer-list';
import { say } from '../../client/src/ui/lib/messages';

// Every status the machine hands out, and each move it made.
const machine = vi.hoisted(() => ({
  made: new WeakSet<object>(),
  moves: [] as { from: string; event: OutboxEvent['type']; to: string }[],
}));
vi.mock('../../client/src/services/outbox/machine', async (original) => {
  const real = await original<typeof Machine>();
  return {
    ...real,
    transition(status: ItemStatus, event: OutboxEvent): ItemStatus {
      const next = real.transition(status, event);
      if (next !== status) {
        machine.made.add(next);
        machine.moves.push({ from: status.state, event: event.type, to: next.state });
      }
      return next;
    },
  };
});

/** Web Locks as the tabs of one origin share them: exclusive, granted in the order asked. */
function sharedLocks() {
  const tails = new Map<string, Promise<void>>();
  const held = new Set<string>();
  return {
    async request<T>(name: string, task: () => Promise<T>): Promise<T> {
      const before = tails.get(name) ?? Promise.resolve();
      let release = (): void => {};
      tails.set(
        name,
        before.then(() => new Promise<void>((done) => (release = done))),
      );
      await before;
      held.add(name);
      try {
        return await task();
      } finally {
        held.delete(name);
        release();
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name })) };
    },
  };
}

/** A BroadcastChannel between the pages of this test: each message reaches the other pages. */
class LocalChannel {
  private static readonly open = new Map<string, Set<LocalChannel>>();
  onmessage: ((event: MessageEvent) => void) | null = null;

  constructor(private readonly name: string) {
    const peers = LocalChannel.open.get(name) ?? new Set();
    peers.add(this);
    LocalChannel.open.set(name, peers);
  }

  postMessage(data: unknown): void {
    for (const peer of LocalChannel.open.get(this.name) ?? [])
      if (peer !== this)
        setTimeout(() => peer.onmessage?.({ data: structuredClone(data) } as MessageEvent));
  }

  close(): void {
    LocalChannel.open.get(this.name)?.delete(this);
  }
}

vi.stubGlobal('navigator', { locks: sharedLocks() });
vi.stubGlobal('BroadcastChannel', LocalChannel);

/** The storage server's upload routes, as far as the outbox uses them. */
class FakeServer {
  /** POST /uploads, each of which opened a session. */
  opened = 0;
  committed = 0;
  /** While set, chunk PUTs wait until answered. */
  holding = false;
  private readonly sessions = new Map<string, Set<number>>();
  private readonly waiting: (() => void)[] = [];

  readonly api = {
    json: async (
      method: string,
      path: string,
      _schema: unknown,
      options: { body?: unknown } = {},
    ) => {
      if (method === 'POST' && path === ROUTES.uploads) {
        this.opened++;
        const uploadId = `upload-${this.opened}`;
        this.sessions.set(uploadId, new Set());
        return { uploadId };
      }
      const id = /\/uploads\/([^/]+)/.exec(path)?.[1] ?? '';
      const session = this.sessions.get(id);
      if (!session) throw new NotFoundError(404, 'not_found', null);
      if (method === 'GET' && path === apiPath.upload(id)) return { received: [...session].sort() };
      if (method === 'POST' && path === apiPath.uploadCommit(id)) {
        expect(options.body).toMatchObject({ manifest: expect.any(String) });
        this.committed++;
        this.sessions.delete(id);
        return { node: { type: 'file' } };
      }
      throw new Error(`unexpected ${method} ${path}`);
    },
    upload: async (path: string, _blob: Blob, _headers: unknown, signal?: AbortSignal) => {
      if (this.holding) {
        await new Promise<void>((resolve, reject) => {
          this.waiting.push(resolve);
          signal?.addEventListener(
            'abort',
            () => {
              this.waiting.splice(this.waiting.indexOf(resolve), 1);
              reject(signal.reason);
            },
            { once: true },
          );
        });
      }
      const [, id, index] = /\/uploads\/([^/]+)\/chunks\/(\d+)$/.exec(path)!;
      this.sessions.get(id!)?.add(Number(index));
    },
    empty: async () => undefined,
  };

  /** Answers the chunk PUTs waiting longest. */
  answer(count: number): void {
    for (let i = 0; i < count; i++) this.waiting.shift()?.();
  }

  /** Forgets a session, as the server does when it expires. */
  expire(uploadId: string): void {
    this.sessions.delete(uploadId);
  }

  get pending(): number {
    return this.waiting.length;
  }
}

const OWNER = 'AAAAAAAAAAAAAAAAAAAAAA';
let keys: AccountKeys;

beforeAll(async () => {
  const core = await coreCrypto();
  keys = core.createAccount(OWNER, new Uint8Array(32).fill(7)).keys;
});

afterEach(() => {
  machine.moves.length = 0;
});

const sessionOf = (userId: string) => () =>
  ({ userId, email: 'a@example.org', keys }) as unknown as OpenSession;
const session = sessionOf(OWNER);
const drive = {
  uploadTarget: async () => ({ id: keys.rootId, key: keys.rootKey }),
} as unknown as DriveService;
const pool = {
  async run(_op: 'sealChunk', args: { plaintext: ArrayBuffer }) {
    const core = await coreCrypto();
    const chunk = new Uint8Array(args.plaintext);
    return { chunk, id: core.chunkId(chunk) };
  },
} as unknown as CryptoPool;
const online = (value = true) =>
  ({
    online: value,
    requestSync: async () => undefined,
    subscribe: () => () => undefined,
  }) as unknown as Connectivity;
const awake = { set: () => undefined } as unknown as UploadWakeLock;

/** A file of three chunks, the last one short. */
const threeChunks = (name: string) => new File([new Uint8Array(2 * CHUNK_SIZE + 10)], name);

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await condition()); tries++) {
    if (tries > 400) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Follows one repository: the states each item takes, each status checked to come from the machine. */
function trail(repository: OutboxRepository): Map<string, string[]> {
  const seen = new Map<string, ItemStatus>();
  const states = new Map<string, string[]>();
  repository.subscribe((item, change) => {
    const id = item.record.id;
    if (change.type !== 'listed') {
      if (item.status === seen.get(id)) return;
      expect(machine.made.has(item.status)).toBe(true);
    }
    seen.set(id, item.status);
    states.set(id, [...(states.get(id) ?? []), item.status.state]);
  });
  return states;
}

/** The sealing and sender of one page, around its own repository. */
function outboxParts(server: FakeServer, connectivity = online()) {
  const repository = new OutboxRepository();
  repository.open(OWNER);
  const tabs = new OutboxTabs(
    () => OWNER,
    () => undefined,
  );
  const sender = new OutboxSender(server.api as unknown as Api, repository, tabs);
  const sealing = new OutboxSealing(pool, drive, session, connectivity, repository, sender);
  return { repository, sender, sealing, states: trail(repository) };
}

async function sealed(
  parts: ReturnType<typeof outboxParts>,
  name: string,
): Promise<{ item: OutboxItem; id: string }> {
  const id = crypto.randomUUID();
  const file = threeChunks(name);
  await parts.sealing.seal({
    owner: OWNER,
    folderId: keys.rootId,
    file,
    id,
    signal: new AbortController().signal,
  });
  return { item: parts.repository.get(id)!, id };
}

/** A refusal in the server's words, as the outbox keeps it. */
const REFUSED: FailureValue = { kind: 'server', status: 409, code: 'conflict', said: 'Refused.' };

/** What the transfers panel shows of `id` once a new page lists `record`'s row. */
async function shownAfterReload(id: string): Promise<string | null> {
  const repository = new OutboxRepository();
  repository.open(OWNER);
  const transfers = new TransferList();
  new OutboxView(transfers, repository);
  const [record] = (await repository.unlisted()).filter((row) => row.id === id);
  await repository.restore(record!);
  let shown: string | null = null;
  transfers.follow(id, (transfer) => (shown = transfer?.error ? say(transfer.error) : null))();
  return shown;
}

describe('the outbox repository', () => {
  it('refuses a status change the state machine does not allow, and keeps memory and store as they were', async () => {
    const parts = outboxParts(new FakeServer());
    const { repository } = parts;
    const { item } = await sealed(parts, 'refused.bin');
    const before = item.status;
    const stored = await outboxRecord(item.record.id);

    // Queued: nothing sends it, so no tab can take it over, and a chunk cannot be sealed again.
    expect(() => repository.apply(item, { type: 'orphaned' })).toThrow(OutboxTransitionError);
    expect(() => repository.apply(item, { type: 'resume' })).not.toThrow();
    expect(item.status).toBe(before);
    expect(await outboxRecord(item.record.id)).toEqual(stored);

    // Nothing outside the repository can write a status or a record field.
    expect(() => Object.assign(item, { status: { ...before, state: 'done' } })).toThrow(TypeError);
    expect(() => Object.assign(item.record, { phase: 'failed' })).toThrow(TypeError);
    expect(() => Object.assign(item.status, { state: 'done' })).toThrow(TypeError);
    expect(item.status).toBe(before);
  });

  it('writes what a reload needs of a status change into the row, in the same step', async () => {
    const parts = outboxParts(new FakeServer());
    const { item, id } = await sealed(parts, 'paused.bin');
    await parts.repository.apply(item, { type: 'pause' });
    expect(item.status.state).toBe('paused');
    expect(await outboxRecord(id)).toMatchObject({ phase: 'paused' });
    await parts.repository.apply(item, { type: 'resume' });
    await parts.repository.apply(item, { type: 'start' });
    await parts.repository.apply(item, { type: 'fail', reason: REFUSED, retryable: true });
    expect(await outboxRecord(id)).toMatchObject({ phase: 'failed', reason: REFUSED });
    expect(item.record).toMatchObject({ phase: 'failed', reason: REFUSED });
    expect(parts.states.get(id)).toEqual([
      'encrypting',
      'queued',
      'paused',
      'queued',
      'uploading',
      'failed',
    ]);
  });
});

describe('a failed item after a reload', () => {
  it('stores why as a typed failure, and shows it in the same words', async () => {
    const parts = outboxParts(new FakeServer());
    const { item, id } = await sealed(parts, 'over-quota.bin');
    const refusal = new QuotaRefusedError(507, 'quota_exceeded', null, {
      needed: 2_000_000,
      used: 0,
      quota: 1_000_000,
    });
    await parts.repository.apply(item, { type: 'start' });
    await parts.repository.apply(item, {
      type: 'fail',
      reason: failureValue(refusal),
      retryable: true,
    });
    expect(await outboxRecord(id)).toMatchObject({
      reason: { kind: 'quota', quota: 'storage', figures: { needed: 2_000_000 } },
    });
    expect(await shownAfterReload(id)).toBe(say(refusal));
  });

  it('shows the sentence a version before typed failures stored, as that version did', async () => {
    const sentence =
      'Encryption was interrupted (the app closed before the file was fully stored). Add the file again.';
    const parts = outboxParts(new FakeServer());
    const { id } = await sealed(parts, 'stored-before.bin');
    await patchRecord(id, { phase: 'failed', reason: sentence, retryable: false });
    expect(await shownAfterReload(id)).toBe(sentence);
  });
});

describe('the sealing', () => {
  it('hands a sealed item over by the machine, after the sender opened its session', async () => {
    const server = new FakeServer();
    const parts = outboxParts(server);
    const { item, id } = await sealed(parts, 'report.pdf');
    expect(server.opened).toBe(1);
    expect(machine.moves).toEqual([{ from: 'encrypting', event: 'sealed', to: 'queued' }]);
    expect(parts.states.get(id)).toEqual(['encrypting', 'queued']);
    expect(item.record).toMatchObject({ phase: 'ready', uploadId: 'upload-1' });
    expect(await outboxRecord(id)).toEqual(item.record);
    expect(await progressOf(id)).toHaveLength(3);
  });

  it('seals offline without a session, and the row still says ready', async () => {
    const server = new FakeServer();
    const parts = outboxParts(server, online(false));
    const { item, id } = await sealed(parts, 'offline.pdf');
    expect(server.opened).toBe(0);
    expect(item.status.state).toBe('queued');
    expect(await outboxRecord(id)).toMatchObject({ phase: 'ready', uploadId: null });
  });
});

describe('the sender', () => {
  it('resets the backoff through the machine as chunks are acknowledged, and commits', async () => {
    const server = new FakeServer();
    const parts = outboxParts(server);
    const { item, id } = await sealed(parts, 'sent.bin');
    for (const event of [
      { type: 'start' },
      {
        type: 'transient',
        reason: { kind: 'server', status: 503, code: 'unavailable', said: null },
      },
      { type: 'due' },
      { type: 'start' },
    ] as OutboxEvent[])
      await parts.repository.apply(item, event);
    expect(item.status).toMatchObject({ state: 'uploading', attempts: 1 });
    machine.moves.length = 0;

    await parts.sender.send(item, new AbortController().signal, null);
    expect(item.status).toMatchObject({ state: 'uploading', attempts: 0 });
    expect(machine.moves).toEqual(
      Array(3).fill({ from: 'uploading', event: 'acked', to: 'uploading' }),
    );
    expect((await progressOf(id)).every((chunk) => chunk.acked)).toBe(true);
    expect(server.committed).toBe(1);

    await parts.repository.commit(item);
    expect(parts.states.get(id)?.at(-1)).toBe('done');
    expect(parts.repository.has(id)).toBe(false);
    expect(await outboxRecord(id)).toBeUndefined();
  });

  it('opens a new session when the old one expired, and sends every chunk to it', async () => {
    const server = new FakeServer();
    const parts = outboxParts(server);
    const { item, id } = await sealed(parts, 'expired.bin');
    await parts.repository.apply(item, { type: 'start' });
    server.expire('upload-1');
    await parts.sender.send(item, new AbortController().signal, null);
    expect(server.opened).toBe(2);
    expect(item.record.uploadId).toBe('upload-2');
    expect(await outboxRecord(id)).toMatchObject({ uploadId: 'upload-2' });
    expect(server.committed).toBe(1);
  });
});

describe('two tabs of one account', () => {
  /** An account with nothing queued yet. */
  const ACCOUNT = 'BBBBBBBBBBBBBBBBBBBBBB';

  /** One tab: its queue, and the transfer states its panel shows for each upload. */
  function tab(server: FakeServer) {
    const transfers = new TransferList();
    const queue = new UploadService(
      server.api as unknown as Api,
      pool,
      drive,
      transfers,
      sessionOf(ACCOUNT),
      online(),
      awake,
    );
    const shown = new Map<string, string[]>();
    transfers.subscribe((event) => {
      if (event.type === 'removed') return;
      const { id, state, phase } = event.transfer;
      const states = shown.get(id) ?? [];
      const now = phase ? `${state}:${phase}` : state;
      if (states.at(-1) !== now) states.push(now);
      shown.set(id, states);
    });
    return { queue, transfers, shown };
  }

  it('follow each other by the machine: the sender tab sends, the other lists, pauses and resumes it', async () => {
    const server = new FakeServer();
    server.holding = true;
    const sending = tab(server);
    const listing = tab(server);
    sending.queue.open(ACCOUNT);
    await waitFor(async () => (await navigator.locks.query()).held?.length === 1);
    listing.queue.open(ACCOUNT);

    await sending.queue.upload(keys.rootId, [threeChunks('shared.bin')]);
    const [id] = [...sending.shown.keys()];
    await waitFor(() => listing.transfers.has(id!) && server.pending === 3);

    // The sending tab acknowledges a chunk: the other tab shows it as sending.
    server.answer(1);
    await waitFor(() => listing.shown.get(id!)?.at(-1) === 'running:uploading');

    // Paused in the listing tab, the sending tab stops: both through their own machine.
    listing.queue.pause(id!);
    await waitFor(() => sending.shown.get(id!)?.at(-1) === 'paused');
    expect(machine.moves).toContainEqual({ from: 'uploading', event: 'pause', to: 'paused' });

    // Resumed there too, the sending tab sends the rest from where it stopped.
    server.holding = false;
    listing.queue.resume(id!);
    await waitFor(() => listing.shown.get(id!)?.at(-1) === 'done');
    expect(server.committed).toBe(1);
    expect(server.opened).toBe(1);
    expect(sending.shown.get(id!)?.at(-1)).toBe('done');

    expect(listing.shown.get(id!)?.slice(0, 4)).toEqual([
      'queued',
      'running:uploading',
      'paused',
      'queued',
    ]);
    expect(machine.moves).toContainEqual({
      from: 'queued',
      event: 'sent-elsewhere',
      to: 'uploading',
    });
    expect(machine.moves.filter((move) => move.event === 'committed-elsewhere')).toHaveLength(1);
    sending.queue.open(null);
    listing.queue.open(null);
  });
});
