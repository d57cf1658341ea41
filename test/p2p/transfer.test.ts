// Direct transfers between two Chromium processes over loopback, through the real signal server:
// a file arrives byte-identical, an interrupted transfer resumes from what was stored, and a
// scripted malicious sender is refused with a clear error for every fault. Runs only inside a
// loopback-only network namespace: `npm run test:p2p`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Misbehaviour } from './harness/main';
import {
  type Harness,
  holdLateCandidates,
  launchChromium,
  openHarnessPage,
  startHarness,
} from './loopback';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB + 12_345; // 7 chunks, the last one short

let harness: Harness;
let browsers: Browser[] = [];
let sender: Page;
let receiver: Page;

beforeAll(async () => {
  harness = await startHarness();
  browsers = await Promise.all([launchChromium(), launchChromium()]);
  [sender, receiver] = (await Promise.all(
    browsers.map((browser) => openHarnessPage(browser, harness.pageUrl)),
  )) as [Page, Page];
});

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await harness?.close();
});

const newCode = () => sender.evaluate(() => window.p2pHarness.newCode());

describe('direct transfer between two browsers over loopback', () => {
  it('delivers a file byte-identical, every chunk verified', async () => {
    const { signalUrl } = harness;
    const code = await newCode();
    const o = { signalUrl, code, label: 'whole', size: SIZE };
    const sent = sender.evaluate((o) => window.p2pHarness.send(o), o);
    const got = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
      signalUrl,
      code,
      sink: 'whole',
    });
    expect({ ...got, sent: await sent }).toMatchObject({ ok: true, stored: [0, 1, 2, 3, 4, 5, 6] });
    expect(await sent).toMatchObject({ ok: true, asked: [0, 1, 2, 3, 4, 5, 6] });
    const expected = await sender.evaluate(
      ({ label, size }) => window.p2pHarness.digestOf(label, size),
      o,
    );
    expect(got.digest).toBe(expected);
  });

  it('resumes an interrupted transfer from the chunks already stored', async () => {
    const { signalUrl } = harness;
    const o = { signalUrl, label: 'resumed', size: SIZE };
    const firstCode = await newCode();
    const sent = sender.evaluate((o) => window.p2pHarness.send(o), {
      ...o,
      code: firstCode,
      failFrom: 3,
    });
    const first = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
      signalUrl,
      code: firstCode,
      sink: 'resumed',
    });
    expect(first).toMatchObject({ ok: false, code: 'unavailable' });
    expect(first.message).toBe('The sender stopped: Chunk 3 could not be read.');
    // Chunks 0–2 were requested with 3; those verified before the sender's error are kept.
    expect(first.stored.length).toBeGreaterThan(0);
    expect([0, 1, 2]).toEqual(expect.arrayContaining(first.stored));
    await sent;

    const secondCode = await newCode();
    const resent = sender.evaluate((o) => window.p2pHarness.send(o), { ...o, code: secondCode });
    const second = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
      signalUrl,
      code: secondCode,
      sink: 'resumed',
    });
    expect(second).toMatchObject({ ok: true, stored: [0, 1, 2, 3, 4, 5, 6] });
    const missing = [0, 1, 2, 3, 4, 5, 6].filter((i) => !first.stored.includes(i));
    expect((await resent).asked).toEqual(missing); // only what was missing
    const expected = await sender.evaluate(
      ({ label, size }) => window.p2pHarness.digestOf(label, size),
      o,
    );
    expect(second.digest).toBe(expected);
  });

  it('connects although the receiver’s late candidates find the sender gone from the room', async () => {
    // The sender leaves the room once its side connects; the receiver's side may connect a moment
    // later and still have candidates to send, which the relay now refuses. That must not end a
    // connection that works.
    const { signalUrl } = harness;
    const code = await newCode();
    const late = holdLateCandidates(harness.signal);
    try {
      const o = { signalUrl, code, label: 'late', size: 2 * MiB };
      const sent = sender.evaluate((o) => window.p2pHarness.send(o), o);
      const got = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
        signalUrl,
        code,
        sink: 'late',
      });
      expect({ ...got, sent: await sent }).toMatchObject({ ok: true, stored: [0] });
      expect(late.held()).toBeGreaterThan(0);
    } finally {
      late.undo();
    }
  });

  it('refuses a wrong code: nothing is sent, the receiver says so', async () => {
    const { signalUrl } = harness;
    const code = await newCode();
    const wrong = code.replace(/-[a-z]+$/, (word) => (word === '-acorn' ? '-zebra' : '-acorn'));
    const sent = sender.evaluate((o) => window.p2pHarness.send(o), {
      signalUrl,
      code,
      label: 'wrong',
      size: MiB,
    });
    const got = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
      signalUrl,
      code: wrong,
      sink: 'wrong',
    });
    expect(got).toMatchObject({ ok: false, stored: [] });
    expect(got.message).toMatch(/wrong code/);
    const outcome = await sent;
    expect(outcome).toMatchObject({ ok: false, asked: [] });
    expect(outcome.message).toMatch(/wrong code/);
  });

  const faults: [Misbehaviour, string, RegExp, number[]][] = [
    ['other-file', 'integrity', /^Chunk 0 failed its integrity check\.$/, []],
    ['duplicate', 'protocol', /^The sender sent chunk 0 twice\.$/, [0]],
    ['out-of-order', 'protocol', /^The sender sent the bytes of chunk 0 out of order\.$/, []],
    ['oversized', 'protocol', /message of 65536 bytes, over the 16 KiB limit/, []],
    ['garbage', 'protocol', /malformed message: unknown frame type 238/, []],
    [
      'no-final',
      'stalled',
      /^The sender stopped sending \(waiting for chunk 6\)\.$/,
      [0, 1, 2, 3, 4, 5],
    ],
  ];

  it.each(faults)('refuses a sender that sends %s', async (how, code, message, mayStore) => {
    const { signalUrl } = harness;
    const pairing = await newCode();
    const misbehaving = sender.evaluate((o) => window.p2pHarness.misbehave(o), {
      signalUrl,
      code: pairing,
      label: 'evil',
      size: SIZE,
      how,
    });
    const got = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
      signalUrl,
      code: pairing,
      sink: `evil-${how}`,
      stallMs: 1500,
    });
    await misbehaving;
    expect(got).toMatchObject({ ok: false, code });
    expect(got.message).toMatch(message);
    // Nothing unverified is ever stored: at most the honest chunks that came before the fault.
    expect(mayStore).toEqual(expect.arrayContaining(got.stored));
  });
});
