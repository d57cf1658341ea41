import { describe, expect, it } from 'vitest';
import type { TransferEvent } from '../../client/src/services/contract';
import { TransferList } from '../../client/src/services/transfers/transfer-list';

/** The events a listener is told, in order. */
function told(list: TransferList): TransferEvent[] {
  const events: TransferEvent[] = [];
  list.subscribe((event) => events.push(event));
  return events;
}

/** The events told after the replay of what is listed now. */
function toldFromNow(list: TransferList): TransferEvent[] {
  const events = told(list);
  events.length = 0;
  return events;
}

/** Past the list's batching of progress (a few times a second). */
const nextBatch = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('the transfer list', () => {
  it('tells a new transfer at once, with its snapshot', () => {
    const list = new TransferList();
    const events = told(list);
    const { id } = list.add('download', 'report.pdf', 1000, null);
    expect(events).toEqual([
      {
        type: 'added',
        replayed: false,
        transfer: expect.objectContaining({ id, name: 'report.pdf', state: 'queued', done: 0 }),
      },
    ]);
  });

  it('tells a change of state at once, with the state it moved from', () => {
    const list = new TransferList();
    const { id } = list.add('download', 'report.pdf', 1000, null);
    const events = toldFromNow(list);
    list.start(id);
    expect(events).toEqual([
      {
        type: 'changed',
        transfer: expect.objectContaining({ id, state: 'running' }),
        was: { state: 'queued', phase: null },
      },
    ]);
  });

  it('tells progress in batches, once per transfer', async () => {
    const list = new TransferList();
    const { id } = list.add('download', 'report.pdf', 1000, null);
    list.start(id);
    const events = toldFromNow(list);
    list.progress(id, 100);
    list.progress(id, 150);
    expect(events).toEqual([]);
    await nextBatch();
    expect(events).toEqual([
      {
        type: 'changed',
        transfer: expect.objectContaining({ id, done: 250 }),
        was: { state: 'running', phase: null },
      },
    ]);
  });

  it('tells a finished transfer once, with its final snapshot, and drops its pending progress', async () => {
    const list = new TransferList();
    const { id } = list.add('download', 'report.pdf', 1000, null);
    list.start(id);
    const events = toldFromNow(list);
    list.progress(id, 100);
    list.finish(id, 'done');
    list.finish(id, 'failed', { kind: 'network' });
    await nextBatch();
    expect(events).toEqual([
      { type: 'finished', transfer: expect.objectContaining({ id, state: 'done', done: 1000 }) },
    ]);
  });

  it('tells a failed upload that is retried as changed again', () => {
    const list = new TransferList();
    const { id } = list.add('upload', 'notes.txt', 10, 'folder');
    const events = toldFromNow(list);
    list.show(id, {
      state: 'failed',
      phase: null,
      error: { kind: 'server', status: 409, code: 'conflict', said: 'The server refused it.' },
      canRetry: true,
    });
    list.show(id, { state: 'queued', error: null, canRetry: false });
    expect(events.map((event) => event.type)).toEqual(['finished', 'changed']);
    expect(events[1]).toMatchObject({
      transfer: { state: 'queued' },
      was: { state: 'failed', phase: null },
    });
  });

  it('tells a removed transfer by its id', () => {
    const list = new TransferList();
    const { id } = list.add('upload', 'notes.txt', 10, 'folder');
    const events = toldFromNow(list);
    list.remove(id);
    list.remove(id);
    expect(events).toEqual([{ type: 'removed', id }]);
  });

  it('replays what is listed to a late subscriber, marked as replayed', () => {
    const list = new TransferList();
    const first = list.add('upload', 'a.txt', 1, 'folder');
    const second = list.add('download', 'b.txt', 1, null);
    list.finish(second.id, 'done');
    expect(told(list)).toEqual([
      {
        type: 'added',
        replayed: true,
        transfer: expect.objectContaining({ id: first.id, state: 'queued' }),
      },
      {
        type: 'added',
        replayed: true,
        transfer: expect.objectContaining({ id: second.id, state: 'done' }),
      },
    ]);
  });

  it('empties itself at log out, telling each transfer as removed rather than cancelled', () => {
    const list = new TransferList();
    const running = list.add('download', 'a.bin', 100, null);
    const done = list.add('download', 'b.bin', 100, null);
    list.start(running.id);
    list.finish(done.id, 'done');
    const events = toldFromNow(list);
    list.cancelAll();
    expect(running.signal.aborted).toBe(true);
    expect(events).toEqual([
      { type: 'removed', id: running.id },
      { type: 'removed', id: done.id },
    ]);
  });

  it('follows one transfer until it leaves the list', () => {
    const list = new TransferList();
    const { id } = list.add('upload', 'a.txt', 1, 'folder');
    list.add('download', 'other.bin', 1, null);
    const seen: (string | null)[] = [];
    list.follow(id, (transfer) => seen.push(transfer?.state ?? null));
    list.show(id, { state: 'running', phase: 'uploading' });
    list.start(list.add('download', 'third.bin', 1, null).id);
    list.remove(id);
    expect(seen).toEqual(['queued', 'running', null]);
  });
});
