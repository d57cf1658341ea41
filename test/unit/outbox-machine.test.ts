import { describe, expect, it } from 'vitest';
import type { FailureValue } from '../../client/src/services/contract';
import {
  initialStatus,
  isPending,
  isSendable,
  transition,
  type ItemStatus,
  type OutboxEvent,
  type OutboxState,
} from '../../client/src/services/outbox/machine';

function run(events: OutboxEvent[], from: ItemStatus = initialStatus()): ItemStatus {
  return events.reduce(transition, from);
}

const at = (state: OutboxState): ItemStatus => ({ ...initialStatus(), state });

/** A refusal the server worded: its sentence is what the panel shows. */
const refused = (said: string): FailureValue => ({
  kind: 'server',
  status: 503,
  code: 'unavailable',
  said,
});

describe('an outbox item', () => {
  it('goes from encrypting to done along the usual path', () => {
    const states: OutboxState[] = [];
    let status = initialStatus();
    for (const event of [
      { type: 'sealed' },
      { type: 'start' },
      { type: 'committed' },
    ] as OutboxEvent[]) {
      status = transition(status, event);
      states.push(status.state);
    }
    expect(states).toEqual(['queued', 'uploading', 'done']);
  });

  it('may start sending while later chunks are still being encrypted', () => {
    const status = run([{ type: 'start' }, { type: 'sealed' }]);
    expect(status.state).toBe('uploading');
  });

  it('waits for the network, then queues again', () => {
    expect(run([{ type: 'offline' }], at('uploading')).state).toBe('waiting-network');
    expect(run([{ type: 'offline' }, { type: 'online' }], at('queued')).state).toBe('queued');
    // Encryption needs no network: going offline does not interrupt it.
    expect(run([{ type: 'offline' }]).state).toBe('encrypting');
  });

  it('counts transient failures for the backoff and forgets them on resume', () => {
    const failing = run(
      [
        { type: 'transient', reason: refused('The server answered 503.') },
        { type: 'due' },
        { type: 'start' },
        { type: 'transient', reason: refused('The server answered 502.') },
      ],
      at('uploading'),
    );
    expect(failing).toMatchObject({
      state: 'retrying',
      attempts: 2,
      reason: refused('The server answered 502.'),
    });
    const resumed = run([{ type: 'pause' }, { type: 'resume' }], failing);
    expect(resumed).toMatchObject({ state: 'queued', attempts: 0, reason: null });
  });

  it('pauses only what is waiting or sending, and resumes only what is paused', () => {
    for (const state of ['queued', 'uploading', 'retrying', 'waiting-network'] as const)
      expect(transition(at(state), { type: 'pause' }).state).toBe('paused');
    for (const state of ['encrypting', 'done', 'failed'] as const)
      expect(transition(at(state), { type: 'pause' }).state).toBe(state);
    expect(transition(at('queued'), { type: 'resume' }).state).toBe('queued');
    // A paused item stays paused whatever the network does.
    expect(run([{ type: 'online' }, { type: 'offline' }], at('paused')).state).toBe('paused');
  });

  it('keeps the reason of a failure, and retries only when its chunks are still stored', () => {
    const kept = transition(at('uploading'), {
      type: 'fail',
      reason: refused('Not enough storage.'),
      retryable: true,
    });
    expect(kept).toMatchObject({ state: 'failed', reason: refused('Not enough storage.') });
    expect(transition(kept, { type: 'retry' })).toMatchObject({ state: 'queued', reason: null });

    const lost = transition(initialStatus(), {
      type: 'fail',
      reason: refused('Add the file again.'),
      retryable: false,
    });
    expect(transition(lost, { type: 'retry' })).toBe(lost);
  });

  it('ignores what does not apply, returning the same status', () => {
    const done = at('done');
    for (const event of [
      { type: 'fail', reason: refused('late'), retryable: true },
      { type: 'start' },
      { type: 'offline' },
      { type: 'transient', reason: refused('late') },
    ] as OutboxEvent[])
      expect(transition(done, event)).toBe(done);
    expect(transition(at('queued'), { type: 'committed' }).state).toBe('queued');
  });

  it('says which items the drain may pick and which are still on their way', () => {
    expect(isSendable('queued')).toBe(true);
    expect(isSendable('waiting-network')).toBe(false);
    expect(isSendable('paused')).toBe(false);
    expect(isPending('paused')).toBe(true);
    expect(isPending('done')).toBe(false);
    expect(isPending('failed')).toBe(false);
  });
});
