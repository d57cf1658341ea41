import {
  asServiceFailure,
  services,
  SpeedMeter,
  type SendSource,
  type ServiceFailure,
  type SharedLink,
} from '../../services';

export type { SendSource };
import { announcer } from '../app/announcer.svelte';

// One "Send to a device" dialog: a fresh code, the wait for the other device, the transfer, and
// the way out to a share link when no direct connection works.
export type SendPhase =
  'preparing' | 'waiting' | 'connecting' | 'sending' | 'done' | 'failed' | 'linking' | 'link';

const STEP_PHASES = { ready: 'waiting', paired: 'connecting', connected: 'sending' } as const;

/** Speed over the last few seconds, as the transfers panel measures it. */

export class DeviceSend {
  phase = $state<SendPhase>('preparing');
  code = $state('');
  sent = $state(0);
  speed = $state(0);
  error = $state<ServiceFailure | null>(null);
  link = $state<SharedLink | null>(null);
  /** Bytes of a queued file uploaded so far, while a link waits for its upload. */
  uploaded = $state(0);
  #attempt: AbortController | null = null;
  #meter = new SpeedMeter(4000);

  constructor(readonly source: SendSource) {}

  /** Makes a new code and waits for the device that types it. */
  async start(): Promise<void> {
    this.#attempt?.abort();
    const attempt = new AbortController();
    this.#attempt = attempt;
    this.phase = 'preparing';
    this.error = null;
    this.sent = 0;
    this.speed = 0;
    this.#meter.reset();
    try {
      this.code = await services.direct.newCode();
      if (attempt.signal.aborted) return;
      await services.direct.send(
        this.source,
        this.code,
        {
          onStep: (step) => {
            if (attempt.signal.aborted) return;
            this.phase = STEP_PHASES[step];
            if (step === 'ready')
              announcer.say({ key: 'send.code-ready', params: { code: this.code } });
            if (step === 'connected')
              announcer.say({ key: 'send.sending', params: { name: this.source.name } });
          },
          onProgress: (bytes) => !attempt.signal.aborted && this.#progress(bytes),
        },
        attempt.signal,
      );
      if (attempt.signal.aborted) return;
      this.sent = this.source.size;
      this.phase = 'done';
      announcer.say({ key: 'send.sent', params: { name: this.source.name } });
    } catch (error) {
      if (attempt.signal.aborted) return;
      const failure = asServiceFailure(error);
      this.error = failure;
      this.phase = 'failed';
      announcer.say({ key: 'send.stopped', params: { error: failure } });
    }
  }

  /** Stops whatever runs (the other device is told); the dialog closes or moves on. */
  cancel(): void {
    this.#attempt?.abort();
    this.#attempt = null;
  }

  async linkInstead(): Promise<void> {
    this.cancel();
    this.phase = 'linking';
    this.error = null;
    try {
      this.link = await services.direct.linkInstead(
        this.source,
        (bytes) => (this.uploaded = bytes),
      );
      this.phase = 'link';
      announcer.say({ key: 'send.link-created' });
    } catch (error) {
      this.error = asServiceFailure(error);
      this.phase = 'failed';
    }
  }

  #progress(bytes: number): void {
    this.sent = bytes;
    this.speed = this.#meter.record(bytes);
  }
}

/** Whether this deployment has a signal server; asked once, when the drive or queue first shows. */
class DirectAvailability {
  available = $state(false);
  #asked = false;

  check(): void {
    if (this.#asked) return;
    this.#asked = true;
    services.direct.available().then(
      (available) => (this.available = available),
      () => (this.#asked = false), // asked again next time
    );
  }
}

export const direct = new DirectAvailability();
