import {
  asServiceFailure,
  services,
  SpeedMeter,
  type ReceivedItem,
  type ServiceFailure,
} from '../../services';
import { announcer } from '../app/announcer.svelte';
import type { Shown } from '../app/messages';

// The /receive page: a code typed (or brought by a scanned QR code's fragment), the offered file,
// its progress into this browser's store, then saving it to disk. Files received in part stay
// listed, to finish with a new code or to discard.
export type ReceivePhase =
  'idle' | 'checking' | 'waiting' | 'connecting' | 'receiving' | 'saving' | 'saved' | 'failed';

class Receiving {
  phase = $state<ReceivePhase>('idle');
  codeError = $state<ServiceFailure | null>(null);
  error = $state<Shown | null>(null);
  offer = $state<ReceivedItem | null>(null);
  /** Bytes held so far (those from an earlier attempt included). */
  held = $state(0);
  /** Bytes held when this attempt started: they did not travel again. */
  resumedFrom = $state(0);
  speed = $state(0);
  stored = $state<ReceivedItem[]>([]);
  #attempt: AbortController | null = null;
  #meter = new SpeedMeter(4000);

  get busy(): boolean {
    return ['checking', 'waiting', 'connecting', 'receiving', 'saving'].includes(this.phase);
  }

  async refresh(): Promise<void> {
    try {
      this.stored = await services.direct.received();
    } catch {
      this.stored = [];
    }
  }

  async receive(code: string): Promise<void> {
    this.#attempt?.abort();
    const attempt = new AbortController();
    this.#attempt = attempt;
    this.codeError = null;
    this.error = null;
    this.offer = null;
    this.held = 0;
    this.speed = 0;
    this.#meter.reset();
    this.phase = 'checking';
    try {
      await services.direct.checkCode(code);
    } catch (error) {
      this.codeError = asServiceFailure(error);
      this.phase = 'idle';
      return;
    }
    this.phase = 'waiting';
    announcer.say({ key: 'receive.looking' });
    // An offer checked while the connection failed can be reported after the failure: once the
    // attempt ended (or another began), its news is stale.
    let ended = false;
    const stale = () => ended || attempt.signal.aborted;
    let item: ReceivedItem;
    try {
      item = await services.direct.receive(
        code,
        {
          onStep: (step) => {
            if (!stale() && step === 'paired') this.phase = 'connecting';
          },
          onOffer: (offer) => {
            if (stale()) return;
            this.offer = offer;
            this.held = offer.held;
            this.resumedFrom = offer.held;
            this.phase = 'receiving';
            announcer.say({ key: 'receive.receiving', params: { name: offer.name } });
          },
          onProgress: (bytes) => !stale() && this.#progress(bytes),
        },
        attempt.signal,
      );
    } catch (error) {
      if (attempt.signal.aborted) return;
      const failure = asServiceFailure(error);
      this.error = failure;
      this.phase = 'failed';
      announcer.say({ key: 'receive.stopped', params: { error: failure } });
      void this.refresh();
      return;
    } finally {
      ended = true;
    }
    this.offer = item;
    this.held = item.size;
    await this.save(item);
  }

  cancel(): void {
    this.#attempt?.abort();
    this.#attempt = null;
    this.phase = 'idle';
    void this.refresh();
  }

  /** Streams a complete file to disk; it leaves this device's store once saved. */
  async save(item: ReceivedItem): Promise<void> {
    this.offer = item;
    this.phase = 'saving';
    try {
      const saved = await services.direct.save(item.id);
      this.phase = saved ? 'saved' : 'failed';
      if (!saved) this.error = { key: 'receive.not-saved' };
      announcer.say(
        saved
          ? { key: 'receive.saved', params: { name: item.name } }
          : { key: 'receive.not-saved' },
      );
    } catch (error) {
      this.error = asServiceFailure(error);
      this.phase = 'failed';
    }
    await this.refresh();
  }

  async discard(item: ReceivedItem): Promise<void> {
    await services.direct.discard(item.id);
    announcer.say({ key: 'receive.discarded', params: { name: item.name } });
    await this.refresh();
  }

  #progress(bytes: number): void {
    this.held = bytes;
    this.speed = this.#meter.record(bytes);
  }
}

export const receiving = new Receiving();
