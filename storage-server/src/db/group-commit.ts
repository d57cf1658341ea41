import type { Db } from './database';

type Work<T> = (trx: Db) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** Bounds how long one transaction holds the database while others wait. */
const MAX_BATCH = 256;

/**
 * Group commit: small write transactions that arrive in the same turn of the event loop run in
 * one SQLite transaction, so a flood of sign-ups or log-ins pays one commit (and one WAL append of
 * the pages they share) per batch instead of one per request. Each caller still gets its own
 * result, and only once the batch is committed.
 *
 * If any work in a batch throws, the whole batch is rolled back and every work runs again alone,
 * in its own transaction: a refused request (a taken email, say) can never leave half its writes
 * behind or take the others down with it. Works must therefore only write to the database.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current I/O phase: every request parsed in it joins this batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.scheduled = false;
    if (batch.length === 1) return this.alone(batch[0]!);
    let results: unknown[];
    try {
      results = await this.db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const { work } of batch) out.push(await work(trx));
        return out;
      });
    } catch {
      for (const pending of batch) await this.alone(pending);
      return;
    }
    batch.forEach(({ resolve }, i) => resolve(results[i]));
  }

  private async alone({ work, resolve, reject }: Pending): Promise<void> {
    try {
      resolve(await this.db.transaction().execute(work));
    } catch (error) {
      reject(error);
    }
  }
}
