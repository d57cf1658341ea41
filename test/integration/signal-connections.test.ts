// The rules of a signal server connection (protocol.md §5.1, §5.4), tried with a Socket.IO client
// written by hand (raw-socket-io.ts), which sends what no real client would: one allowance of
// packets for the connection's whole life, every packet type counted, one namespace socket per
// connection, nothing that grows with what a client repeats; and TCP connections that never
// finish their request, held to the head's bound and counted by the per-address cap.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, newRoomId, startSignal } from './signal-harness';
import { packets, RawSocketIo } from './raw-socket-io';
import { closedAtOnce, holdConnection } from './slow-clients';

const LIMIT = 20;
const raws: RawSocketIo[] = [];
afterEach(() => {
  for (const raw of raws.splice(0)) raw.close();
});

async function open(url: string): Promise<RawSocketIo> {
  const raw = await RawSocketIo.open(url);
  raws.push(raw);
  return raw;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const leave = (ack: number) => packets.event('leave', { roomId: newRoomId() }, ack);
const acks = (raw: RawSocketIo) => raw.received.filter((packet) => packet.startsWith('43')).length;
/** Resolves with how long the websocket took to close, or rejects past `withinMs`. */
async function closesWithin(raw: RawSocketIo, withinMs: number): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still open after ${withinMs} ms`)), withinMs);
  });
  await Promise.race([raw.closed, late]).finally(() => clearTimeout(timer));
  return performance.now() - started;
}

describe('a signal connection', () => {
  let warnings: Error[];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeEach(() => {
    warnings = [];
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('closes when its socket leaves the namespace: connecting again gets no fresh allowance', async () => {
    const { url, server } = await startSignal({ maxEventsPerSecond: LIMIT });
    const raw = await open(url);
    await raw.connect();
    // The loop that once had a fresh allowance at each connect: a burst under the limit, leave
    // the namespace, connect again once the server has let the socket go, another burst.
    for (let round = 0; round < 5 && raw.isOpen; round++) {
      raw.send(...Array.from({ length: LIMIT - 5 }, (_, i) => leave(round * 100 + i)));
      raw.send(packets.disconnect);
      await sleep(50);
      raw.send(packets.connect);
      await sleep(50);
    }
    await closesWithin(raw, 3000);
    expect(raw.received.filter((packet) => packet.startsWith('40{'))).toHaveLength(1);
    expect(acks(raw)).toBeLessThanOrEqual(LIMIT - 5);
    expect(raw.closings().length).toBeLessThanOrEqual(1);
    expect(server.io.engine.clientsCount).toBe(0);
  });

  it('refuses a second namespace connect by closing the connection', async () => {
    const { url, server } = await startSignal({ maxEventsPerSecond: LIMIT });
    const connected = await open(url);
    await connected.connect();
    connected.send(packets.connect);
    await closesWithin(connected, 3000);

    // Two connects back to back, before the first is answered.
    const racing = await open(url);
    racing.send(packets.connect, packets.connect);
    await closesWithin(racing, 3000);
    expect(racing.received.filter((packet) => packet.startsWith('40{')).length).toBeLessThan(2);
    expect(server.io.sockets.sockets.size).toBe(0);
  });

  it('counts every packet type: a flood of noops, pongs or namespace requests is cut off', async () => {
    const { url } = await startSignal({ maxEventsPerSecond: LIMIT });
    const floods = {
      noop: packets.noop,
      pong: packets.pong,
      'connect to a namespace that does not exist': packets.connectTo('/nope'),
    };
    for (const [name, packet] of Object.entries(floods)) {
      const raw = await open(url);
      raw.send(...Array.from({ length: LIMIT - 1 }, () => packet));
      // At the allowance, still open a while later.
      await sleep(300);
      expect(raw.isOpen, name).toBe(true);
      raw.send(...Array.from({ length: 10 * LIMIT }, () => packet));
      await closesWithin(raw, 3000);
    }
  });

  it('tells a flooding socket why once, however much it sends, and then reads nothing', async () => {
    const { url, server } = await startSignal({ maxEventsPerSecond: LIMIT });
    const raw = await open(url);
    await raw.connect();
    raw.send(...Array.from({ length: 5000 }, (_, i) => (i % 2 ? packets.noop : leave(i))));
    await closesWithin(raw, 3000);
    expect(raw.closings()).toEqual(['42["closing",{"reason":"rate_limited"}]']);
    // What the server answered before the cut: no more than the allowance of acks.
    expect(acks(raw)).toBeLessThanOrEqual(LIMIT);
    const metrics = await server.metrics.registry.getSingleMetricAsString(
      'coffre_signal_dismissals_total',
    );
    expect(metrics).toContain('coffre_signal_dismissals_total{reason="rate_limited"} 1');
  });

  it('adds no listener for what a client repeats, and Node warns of none', async () => {
    const { url, server } = await startSignal({ maxEventsPerSecond: 1000 });
    const listeners: number[] = [];
    server.io.on('connection', (socket) => {
      const conn = socket.conn;
      listeners.push(conn.eventNames().reduce((n, name) => n + conn.listenerCount(name), 0));
    });
    for (let i = 0; i < 3; i++) {
      const raw = await open(url);
      await raw.connect();
      // More namespace connects on one connection than Node's default of ten listeners.
      for (let round = 0; round < 12 && raw.isOpen; round++) {
        raw.send(leave(round), packets.disconnect);
        await sleep(20);
        raw.send(packets.connect);
        await sleep(20);
      }
      await closesWithin(raw, 3000);
    }
    expect(listeners).toHaveLength(3);
    expect(new Set(listeners).size).toBe(1);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

const portOf = (url: string) => Number(new URL(url).port);
/** The head's bound, and how late Node's once-a-second check may notice it, with slack. */
const HEAD_MS = 1000;
const LATEST_MS = HEAD_MS + 1000 + 500;

describe('new connections from one address', () => {
  it('come at the address’s rate once its ten seconds’ worth is spent; other addresses carry on', async () => {
    const { url } = await startSignal({ maxNewConnectionsPerSecond: 2, maxConnectionsPerIp: 64 });
    const port = portOf(url);
    const held = await Promise.all(Array.from({ length: 30 }, () => holdConnection(port)));
    const early = await Promise.all(
      held.map((h) =>
        Promise.race([h.closedAfter, new Promise<null>((r) => setTimeout(r, 300, null))]),
      ),
    );
    // Ten seconds' worth at once (a moment's refill aside), the rest closed as they came.
    const kept = early.filter((after) => after === null).length;
    expect(kept).toBeGreaterThanOrEqual(20);
    expect(kept).toBeLessThanOrEqual(21);
    expect(await closedAtOnce(port, '127.0.0.2', 100)).toBe(false);
    await sleep(1100);
    expect(await closedAtOnce(port, '127.0.0.1', 100)).toBe(false);
    for (const connection of held) connection.socket.destroy();
  });
});

describe('a connection that never finishes its request', () => {
  it('is dropped within the head bound: idle, half a head, or half an upgrade', async () => {
    const { url } = await startSignal({ headersTimeoutMs: HEAD_MS });
    const port = portOf(url);
    const held = await Promise.all([
      holdConnection(port),
      holdConnection(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
      holdConnection(port, 'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: w'),
    ]);
    for (const connection of held) {
      const after = await connection.closedAfter;
      expect(after).toBeGreaterThan(HEAD_MS - 100);
      expect(after).toBeLessThan(LATEST_MS);
    }
  });

  it('counts against its address’s cap until it is dropped, and other addresses carry on', async () => {
    const { url } = await startSignal({ headersTimeoutMs: HEAD_MS, maxConnectionsPerIp: 64 });
    const port = portOf(url);
    // The reported case: 300 idle connections from one address (opened as fast as the rate of
    // new connections the harness allows).
    const opened = await Promise.allSettled(
      Array.from({ length: 300 }, () => holdConnection(port)),
    );
    const held = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const early = await Promise.all(
      held.map((h) =>
        Promise.race([h.closedAfter, new Promise<null>((r) => setTimeout(r, 500, null))]),
      ),
    );
    // Past the cap, a connection is closed at once; the 64 within it wait for the bound.
    expect(early.filter((after) => after === null)).toHaveLength(64);
    await expect(client(url)).rejects.toThrow();
    await client(url, { localAddress: '127.0.0.2' } as Parameters<typeof client>[1]);

    for (const after of await Promise.all(held.map((h) => h.closedAfter))) {
      expect(after).toBeLessThan(LATEST_MS);
    }
    await client(url);
  });

  it('behind a proxy, counts requests by the address the proxy reports, not the proxy’s own', async () => {
    const { url } = await startSignal({
      headersTimeoutMs: HEAD_MS,
      maxConnectionsPerIp: 2,
      trustProxy: 1,
    });
    const port = portOf(url);
    // The proxy's idle connections are its own business: they hold no client's place.
    const idle = await Promise.all([holdConnection(port), holdConnection(port)]);
    const via = (address: string) => client(url, { extraHeaders: { 'x-forwarded-for': address } });
    await via('198.51.100.1');
    await via('198.51.100.1');
    await expect(via('198.51.100.1')).rejects.toThrow();
    await via('198.51.100.2');
    expect(await closedAtOnce(port)).toBe(false);
    for (const connection of idle) connection.socket.destroy();
  });
});
