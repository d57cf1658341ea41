// A pool of crypto workers, one per core (at most 4): Argon2id must not freeze the page, and one
// core's cipher is slower than a fast line, so chunks are sealed and opened in parallel.
// Workers start on first use, so libsodium stays off the first paint.
import type {
  CryptoFailure,
  CryptoOp,
  CryptoOps,
  CryptoRequest,
  CryptoResponse,
} from './crypto-protocol';
import {
  BrowserError,
  IntegrityFailedError,
  UnexpectedError,
  WeakKdfRefusedError,
  type ServiceFailure,
} from './errors';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

const poolSize = () => Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));

export class CryptoPool {
  private slots: Slot[] = [];
  private nextId = 1;

  /** Runs one operation on the least busy worker. `transfer` lists buffers moved, not copied. */
  run<K extends CryptoOp>(
    op: K,
    args: CryptoOps[K]['args'],
    transfer: Transferable[] = [],
  ): Promise<CryptoOps[K]['result']> {
    return this.send(this.leastBusy(), op, args, transfer);
  }

  private send<K extends CryptoOp>(
    slot: Slot,
    op: K,
    args: CryptoOps[K]['args'],
    transfer: Transferable[],
  ): Promise<CryptoOps[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const request: CryptoRequest<K> = { id, op, args };
      slot.worker.postMessage(request, { transfer });
    });
  }

  /**
   * Runs one operation in a worker of its own, ended afterwards. For Argon2id: its 64 MiB or more
   * of WebAssembly memory can never shrink, so it is returned to the system with the worker, and
   * the pool's workers stay free for chunks meanwhile.
   */
  async runIsolated<K extends CryptoOp>(
    op: K,
    args: CryptoOps[K]['args'],
  ): Promise<CryptoOps[K]['result']> {
    const slot = this.spawn();
    try {
      return await this.send(slot, op, args, []);
    } finally {
      slot.worker.terminate();
    }
  }

  private leastBusy(): Slot {
    if (this.slots.length < poolSize()) {
      const idle = this.slots.find((s) => s.pending.size === 0);
      if (idle) return idle;
      const slot = this.spawn();
      this.slots.push(slot);
      return slot;
    }
    return this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./crypto.worker.ts', import.meta.url), {
      type: 'module',
      name: 'coffre-crypto',
    });
    const slot: Slot = { worker, pending: new Map() };
    worker.onmessage = (event: MessageEvent<CryptoResponse>) => {
      const response = event.data;
      const pending = slot.pending.get(response.id);
      if (!pending) return;
      slot.pending.delete(response.id);
      if (response.ok) pending.resolve(response.result);
      else pending.reject(failureError(response.error));
    };
    worker.onerror = (event) => {
      // A worker that fails to load (or crashes) fails its requests and is replaced next time.
      event.preventDefault();
      const error = new BrowserError('crypto-engine');
      for (const pending of slot.pending.values()) pending.reject(error);
      slot.pending.clear();
      worker.terminate();
      this.slots = this.slots.filter((s) => s !== slot);
    };
    return slot;
  }
}

/** A worker's failure as the typed error the page raises for it. */
export function failureError(failure: CryptoFailure): ServiceFailure {
  switch (failure.kind) {
    case 'integrity':
      return new IntegrityFailedError();
    case 'weak-kdf':
      return new WeakKdfRefusedError();
    case 'failed':
      return new UnexpectedError(failure.message);
  }
}
