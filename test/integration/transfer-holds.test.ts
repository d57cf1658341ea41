// A chunk response reserves its transfer as a hold. A process that dies mid-response never
// settles it; the next sweep on any node gives the bytes back, so a crash bills nothing it did
// not finish sending and the client's retry elsewhere is billed once. A response that merely
// outlived its hold bills what it sent when it ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '@coffre/core/protocol';
import { databaseLocation } from '../../storage-server/src/config';
import { openDatabase, type Db } from '../../storage-server/src/db/database';
import { createRepositories } from '../../storage-server/src/repositories';
import {
  TRANSFER_HOLD_MS,
  TransferMeter,
} from '../../storage-server/src/services/transfer-meter.service';
import {
  call,
  fakeChunks,
  signUp,
  startServer,
  storesOf,
  uploadFile,
  type TestAccount,
  type TestServer,
} from './harness';

const QUOTA = 10 * 1024 * 1024 * 1024;
let first: TestServer;
let db: Db;

beforeAll(async () => {
  first = await startServer();
  db = await openDatabase(databaseLocation(first.config));
});
afterAll(async () => {
  await db?.destroy();
  await first?.close();
});

async function transferUsed(server: TestServer, account: TestAccount): Promise<number> {
  const reply = await call<Account>(server, 'GET', '/api/v1/account', { token: account.token });
  if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
  return reply.body.usage.transferUsed;
}

/**
 * Another node on the same stores whose clock says `laterMs` have passed; it sweeps at start.
 * Stopped with `app.close()`: its data dir is the first node's.
 */
function nodeLater(laterMs: number): Promise<TestServer> {
  return startServer({ ...storesOf(first), now: () => first.clock.now() + laterMs });
}

describe('transfer holds of chunk responses', () => {
  it('gives back what a process reserved and never settled, once its hold expires', async () => {
    const account = await signUp(first);
    await uploadFile(first, account, account.rootId, fakeChunks(5000));
    // The reservation a process makes before sending a chunk, by a process that then dies.
    const dying = new TransferMeter(db, createRepositories(db), first.clock.now);
    expect(await dying.reserve(account.userId, 4_000_000, QUOTA)).not.toBeNull();
    expect(await transferUsed(first, account)).toBe(4_000_000);

    const early = await nodeLater(TRANSFER_HOLD_MS / 2);
    expect(await transferUsed(early, account)).toBe(4_000_000); // still possibly being sent
    await early.app.close();
    const late = await nodeLater(TRANSFER_HOLD_MS + 1000);
    expect(await transferUsed(late, account)).toBe(0);
    await late.app.close();
  });

  it('bills what a response sent when it ends after its hold was given back', async () => {
    const account = await signUp(first);
    const slow = new TransferMeter(db, createRepositories(db), first.clock.now);
    const reservation = await slow.reserve(account.userId, 4_000_000, QUOTA);
    const late = await nodeLater(TRANSFER_HOLD_MS + 1000);
    expect(await transferUsed(late, account)).toBe(0);
    await slow.settle(reservation!, 1_500_000);
    expect(await transferUsed(late, account)).toBe(1_500_000);
    // Settled once: a second sweep finds nothing more to give back.
    await late.app.close();
    const later = await nodeLater(2 * TRANSFER_HOLD_MS);
    expect(await transferUsed(later, account)).toBe(1_500_000);
    await later.app.close();
  });
});
