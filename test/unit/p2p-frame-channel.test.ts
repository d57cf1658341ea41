// Flow control and the end of a data channel as the transfer sessions see it (ADR 0006): a send
// waits while the channel holds the high-water mark, and however the channel ends (its own
// `close` event, or a peer connection closed on this side, which fires none), every waiting send
// fails and every close handler runs exactly once.
import { describe, expect, it } from 'vitest';
import {
  DataChannelFrames,
  HIGH_WATER_BYTES,
  LOW_WATER_BYTES,
} from '../../client/src/services/p2p/wire/frame-channel';

/** The part of RTCDataChannel flow control uses, with a queue the test drains by hand. */
class QueueChannel extends EventTarget {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readyState: RTCDataChannelState = 'open';
  sent: Uint8Array[] = [];

  send(frame: Uint8Array): void {
    this.sent.push(frame);
    this.bufferedAmount += frame.length;
  }

  /** The network took everything queued. */
  drain(): void {
    const wasAbove = this.bufferedAmount > this.bufferedAmountLowThreshold;
    this.bufferedAmount = 0;
    if (wasAbove) this.dispatchEvent(new Event('bufferedamountlow'));
  }

  close(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

function framesOver(channel: QueueChannel): DataChannelFrames {
  return new DataChannelFrames(channel as unknown as RTCDataChannel, () => undefined);
}

const settledYet = async (promise: Promise<unknown>) => {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
};

describe('DataChannelFrames', () => {
  it('keeps the channel at the high-water mark, resuming at the low one', async () => {
    const channel = new QueueChannel();
    const frames = framesOver(channel);
    expect(channel.bufferedAmountLowThreshold).toBe(LOW_WATER_BYTES);
    await frames.send(new Uint8Array(HIGH_WATER_BYTES)); // below the mark when sent
    const waiting = frames.send(new Uint8Array(16));
    expect(await settledYet(waiting)).toBe(false);
    channel.drain();
    await waiting;
    expect(channel.sent).toHaveLength(2);
  });

  it('fails a send waiting for the queue when the connection is closed on this side', async () => {
    const channel = new QueueChannel();
    const frames = framesOver(channel);
    const ended: string[] = [];
    frames.onClose(() => ended.push('transfer'));
    await frames.send(new Uint8Array(HIGH_WATER_BYTES));
    const waiting = frames.send(new Uint8Array(16));
    // A peer connection closed here leaves its channel closed without a `close` event.
    channel.readyState = 'closed';
    frames.closed();
    await expect(waiting).rejects.toThrow('The connection closed.');
    await expect(frames.send(new Uint8Array(1))).rejects.toThrow('The connection closed.');
    expect(ended).toEqual(['transfer']);
  });

  it('runs close handlers once, whichever way the end is heard first', async () => {
    const channel = new QueueChannel();
    const frames = framesOver(channel);
    let ends = 0;
    frames.onClose(() => (ends += 1));
    channel.close();
    frames.closed();
    channel.dispatchEvent(new Event('close'));
    expect(ends).toBe(1);
    // A handler registered after the end still hears of it.
    const late = new Promise<void>((resolve) => frames.onClose(resolve));
    await late;
  });
});
