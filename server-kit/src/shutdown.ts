import { setTimeout as sleep } from 'node:timers/promises';
import type { BaseLogger } from 'pino';
import { TIMER_MS } from './env';

/**
 * Waits for `closed` up to `timeoutMs`; past it, calls `force`, which must make `closed` settle
 * (by ending the connections still open), and waits for it again.
 */
export async function closeWithin(
  closed: Promise<void>,
  timeoutMs: number,
  force: () => void,
): Promise<{ forced: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'deadline');
  });
  const outcome = await Promise.race([closed, deadline]);
  clearTimeout(timer);
  const forced = outcome === 'deadline';
  if (forced) force();
  await closed;
  return { forced };
}

/** How one server stops on SIGTERM or SIGINT, in this order. */
export interface GracefulStop {
  /** pino's; `flush` where the logger has one (fastify's types leave it out). */
  log: Pick<BaseLogger, 'info' | 'error'> & { flush?: (done: () => void) => void };
  /** First, at once: readiness turns 503, so the balancer stops sending new work. */
  drain?: () => void;
  /** Then this long still serving, unready, for the balancer to notice. */
  drainDelayMs: number;
  /** Then: stop accepting, let work in flight finish, release what the server holds. */
  close: () => Promise<void>;
  /** Past the drain delay and this, the process exits with 1 whatever is still running. */
  closeTimeoutMs: number;
  /** Figures for the `closing` line: what is still open. */
  open?: () => Record<string, number>;
}

/** What `stopOnSignals` needs of the process; tests hand it a stand-in. */
export interface ProcessHost {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The longest the last log lines may take to be written before the process exits anyway. */
const FLUSH_MS = 1_000;

/**
 * Stops gracefully on the first SIGTERM or SIGINT and exits: 0 once closed, 1 when closing failed
 * or the deadline passed. Later signals are ignored (Ctrl-C reaches the whole process group, and
 * `npm start` passes it on too): they must not cut a shutdown short; the deadline bounds it.
 */
export function stopOnSignals(stop: GracefulStop, host: ProcessHost = process): void {
  let stopping = false;
  const begin = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop.log.info({ signal }, 'draining');
    stop.drain?.();
    // pino writes asynchronously: exiting at once could drop the last lines, or write the ones
    // it still held before the one in flight.
    let exited = false;
    const exit = (code: number) => {
      const once = () => {
        if (!exited) host.exit(code);
        exited = true;
      };
      if (!stop.log.flush) return once();
      setTimeout(once, FLUSH_MS).unref();
      stop.log.flush(once);
    };
    const deadline = setTimeout(
      () => {
        stop.log.error('still closing at the shutdown deadline; exiting anyway');
        exit(1);
      },
      Math.min(stop.drainDelayMs + stop.closeTimeoutMs, TIMER_MS.max),
    );
    deadline.unref();
    const finish = (code: number) => {
      clearTimeout(deadline);
      exit(code);
    };
    sleep(stop.drainDelayMs)
      .then(() => {
        stop.log.info(stop.open?.() ?? {}, 'closing');
        return stop.close();
      })
      .then(
        () => {
          stop.log.info('stopped');
          finish(0);
        },
        (error: unknown) => {
          stop.log.error({ err: error }, 'shutdown failed');
          finish(1);
        },
      );
  };
  for (const signal of STOP_SIGNALS) host.on(signal, () => begin(signal));
}
