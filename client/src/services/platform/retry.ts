// Retries for transfer requests: network failures, 5xx and 429 are worth another try after a
// jittered, growing pause (so many clients do not retry in lockstep); anything else is final, and
// so are the quota refusals among them (507 quota_exceeded, 429 transfer_quota_exceeded): trying
// again cannot succeed before the person frees space, upgrades or the month ends.
import { backoffDelay } from './backoff';
import { ApiError, NetworkError } from './errors';

const FINAL_CODES = new Set(['quota_exceeded', 'transfer_quota_exceeded']);

const ATTEMPTS = 6;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

export async function withRetry<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (signal.aborted || attempt >= ATTEMPTS || !isRetryable(error)) throw error;
      const delay = backoffDelay(
        attempt,
        { baseMs: BASE_DELAY_MS, maxMs: MAX_DELAY_MS },
        Math.random(),
      );
      await sleep(delay, signal);
    }
  }
}

/** Whether withRetry tries again after this error. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return (
    error instanceof ApiError &&
    (error.status >= 500 || error.status === 429) &&
    !FINAL_CODES.has(error.code)
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal.removeEventListener('abort', stop);
      resolve();
    }
    function stop(): void {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** Runs `task(0…count-1)` with at most `limit` running at once; stops at the first failure. */
export async function runBounded(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  async function lane(): Promise<void> {
    while (!failed && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}
