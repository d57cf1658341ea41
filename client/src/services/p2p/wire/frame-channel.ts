// The data channel as the transfer sessions see it: whole frames in, whole frames out, and a
// `send` that waits while the channel holds more than the high-water mark (ADR 0006).

/** Keeps about this much queued in the channel, so SCTP always has data to send. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Sending resumes when the queue drains to this; still enough to keep the link busy meanwhile. */
export const LOW_WATER_BYTES = 256 * 1024;

export interface FrameChannel {
  /** Queues one frame; resolves at once below the high-water mark, else once the queue drains. */
  send(frame: Uint8Array): Promise<void>;
  /** Every received frame, in order. One handler. */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /** The channel closed (by either side, or it failed). */
  onClose(handler: () => void): void;
  close(): void;
}

/** The part of RTCDataChannel that flow control needs. */
type SendingChannel = Pick<
  RTCDataChannel,
  | 'send'
  | 'bufferedAmount'
  | 'bufferedAmountLowThreshold'
  | 'readyState'
  | 'addEventListener'
  | 'removeEventListener'
  | 'close'
>;

/**
 * Frames over an RTCDataChannel. Sending is ours (backpressure on `bufferedAmount`, woken by
 * `bufferedamountlow`); receiving comes from `subscribe`, so a wrapper that already listens to the
 * channel (simple-peer's `data` event) can feed it without a second listener.
 */
export class DataChannelFrames implements FrameChannel {
  #closed = false;
  #closeHandlers = new Set<() => void>();
  #frameHandler: ((frame: Uint8Array) => void) | null = null;
  /** Frames that arrived before anyone listened: the peer may start sending first. */
  #early: Uint8Array[] = [];

  constructor(
    private readonly channel: SendingChannel,
    subscribe: (deliver: (frame: Uint8Array) => void) => void,
  ) {
    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    subscribe((frame) =>
      this.#frameHandler ? this.#frameHandler(frame) : this.#early.push(frame),
    );
    channel.addEventListener('close', () => this.closed());
  }

  /**
   * The channel is gone, once. The connection's owner calls this too: a peer connection closed on
   * this side sets its channels to closed without firing their `close` event, and a transfer (or a
   * send waiting for the queue to drain) must not wait forever for one.
   */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    const handlers = [...this.#closeHandlers];
    this.#closeHandlers.clear();
    handlers.forEach((handler) => handler());
  }

  async send(frame: Uint8Array): Promise<void> {
    while (!this.#closed && this.channel.bufferedAmount >= HIGH_WATER_BYTES) await this.#drained();
    if (this.#closed || this.channel.readyState !== 'open')
      throw new Error('The connection closed.');
    this.channel.send(frame as Uint8Array<ArrayBuffer>);
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.channel.removeEventListener('bufferedamountlow', done);
        this.#closeHandlers.delete(closed);
        resolve();
      };
      const closed = () => {
        this.channel.removeEventListener('bufferedamountlow', done);
        reject(new Error('The connection closed.'));
      };
      this.channel.addEventListener('bufferedamountlow', done);
      this.#closeHandlers.add(closed);
    });
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.#frameHandler = handler;
    this.#early.splice(0).forEach((frame) => handler(frame));
  }

  onClose(handler: () => void): void {
    if (this.#closed) queueMicrotask(handler);
    else this.#closeHandlers.add(handler);
  }

  close(): void {
    this.channel.close();
  }
}
