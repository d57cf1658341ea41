// While a file is still being sealed, the drain may already send its first chunks: it waits
// here for each chunk it needs, and learns of a sealing failure at once.

/** Lets the drain wait for a chunk still being sealed by this page. */
export class SealWatch {
  private readonly sealed = new Set<number>();
  private finished = false;
  private failure: { error: unknown } | null = null;
  private wake = deferred();

  mark(index: number): void {
    this.sealed.add(index);
    this.bump();
  }

  finish(): void {
    this.finished = true;
    this.bump();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.bump();
  }

  whenSealed(index: number, signal: AbortSignal): Promise<void> {
    return this.until(() => this.sealed.has(index), signal);
  }

  whenFinished(signal: AbortSignal): Promise<void> {
    return this.until(() => this.finished, signal);
  }

  private async until(ready: () => boolean, signal: AbortSignal): Promise<void> {
    while (!ready()) {
      if (this.failure) throw this.failure.error;
      signal.throwIfAborted();
      const aborted = new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      await Promise.race([this.wake.promise, aborted]);
    }
  }

  private bump(): void {
    this.wake.resolve();
    this.wake = deferred();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
