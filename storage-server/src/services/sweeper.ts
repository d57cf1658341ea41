import type { FastifyBaseLogger } from 'fastify';
import type { TransferMeter } from './transfer-meter.service';
import type { Uploads } from './uploads.service';

/**
 * Periodically removes expired upload sessions, their chunks and their reservations, and gives
 * back the transfer held by chunk responses whose process died.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly uploads: Uploads,
    private readonly transferMeter: TransferMeter,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  /** One pass; a pass still running is joined rather than overlapped. */
  sweep(): Promise<void> {
    this.running ??= Promise.all([
      this.uploads.sweepExpired().then((count) => {
        if (count > 0) this.log.info({ count }, 'expired uploads removed');
      }),
      this.transferMeter.releaseExpired().then((count) => {
        if (count > 0) this.log.info({ count }, 'transfer held by unfinished responses given back');
      }),
    ])
      .then(() => undefined)
      .catch((error: unknown) => this.log.error({ err: error }, 'sweep failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
