import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { closeWithin, stopOnSignals, type GracefulStop } from '@coffre/server-kit';

/** A stand-in for the process: signals are emitted by hand, and each step is written down. */
function harness(stop: Partial<GracefulStop> = {}, flush?: (done: () => void) => void) {
  const steps: string[] = [];
  let exited!: (code: number) => void;
  const host = Object.assign(new EventEmitter(), {
    exited: new Promise<number>((resolve) => (exited = resolve)),
    exit: (code: number) => {
      steps.push(`exit ${code}`);
      exited(code);
    },
  });
  const line = (level: string) => (fields: object | string, message?: string) =>
    steps.push(`${level} ${message ?? String(fields)}`);
  stopOnSignals(
    {
      log: {
        info: line('info'),
        error: line('error'),
        ...(flush && {
          flush: (done: () => void) => {
            steps.push('flush');
            flush(done);
          },
        }),
      } as unknown as GracefulStop['log'],
      drain: () => steps.push('drain'),
      drainDelayMs: 20,
      close: async () => {
        steps.push('close');
      },
      closeTimeoutMs: 1_000,
      ...stop,
    },
    host,
  );
  return { steps, host };
}

describe('graceful shutdown', () => {
  it('drains at once, closes after the delay, then exits 0', async () => {
    const { steps, host } = harness();
    host.emit('SIGTERM');
    expect(steps).toEqual(['info draining', 'drain']);
    expect(await host.exited).toBe(0);
    expect(steps).toEqual([
      'info draining',
      'drain',
      'info closing',
      'close',
      'info stopped',
      'exit 0',
    ]);
  });

  it('keeps serving, unready, for the whole drain delay', async () => {
    const { steps, host } = harness({ drainDelayMs: 150 });
    const start = Date.now();
    host.emit('SIGINT');
    await sleep(80);
    expect(steps).not.toContain('close');
    await host.exited;
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('ignores a second signal while stopping', async () => {
    const { steps, host } = harness();
    host.emit('SIGINT');
    host.emit('SIGTERM');
    host.emit('SIGINT');
    await host.exited;
    expect(steps.filter((step) => step === 'drain')).toHaveLength(1);
    expect(steps.filter((step) => step === 'close')).toHaveLength(1);
  });

  it('exits 1 at the deadline when closing does not finish', async () => {
    const { steps, host } = harness({
      drainDelayMs: 10,
      closeTimeoutMs: 50,
      close: () => new Promise<void>(() => {}),
    });
    host.emit('SIGTERM');
    expect(await host.exited).toBe(1);
    expect(steps.at(-2)).toBe('error still closing at the shutdown deadline; exiting anyway');
  });

  it('lets the log write its last lines before the process exits', async () => {
    const { steps, host } = harness({}, (done) => setTimeout(done, 20));
    host.emit('SIGTERM');
    expect(await host.exited).toBe(0);
    expect(steps.slice(-3)).toEqual(['info stopped', 'flush', 'exit 0']);
  });

  it('exits 1 when closing fails', async () => {
    const { steps, host } = harness({ close: () => Promise.reject(new Error('disk gone')) });
    host.emit('SIGTERM');
    expect(await host.exited).toBe(1);
    expect(steps).toContain('error shutdown failed');
    expect(steps).not.toContain('info stopped');
  });
});

describe('a bounded close', () => {
  it('waits for what closes in time, and forces nothing', async () => {
    let forced = false;
    const outcome = await closeWithin(
      sleep(10).then(() => {}),
      1_000,
      () => (forced = true),
    );
    expect(outcome).toEqual({ forced: false });
    expect(forced).toBe(false);
  });

  it('at the deadline, forces the rest closed and waits for that', async () => {
    let end!: () => void;
    const closed = new Promise<void>((resolve) => (end = resolve));
    const outcome = await closeWithin(closed, 30, () => end());
    expect(outcome).toEqual({ forced: true });
  });
});
