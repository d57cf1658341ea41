// One load generator: opens real socket.io-client websockets to the signal server, joins them in
// rooms of two, and relays timed signals between the two members of each room. Started by
// bench/signal/run.ts with fork(); takes its orders and reports over IPC.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { SignalClientEvents, SignalServerEvents } from '@coffre/core/protocol';
import type { ConnectOrder, Order, RelayOrder, Report } from './protocol';

type SignalSocket = Socket<SignalServerEvents, SignalClientEvents>;

interface Pair {
  roomId: string;
  a: SignalSocket;
  b: SignalSocket;
  bPeerId: string;
}

const pairs: Pair[] = [];
const report = (message: Report) => process.send!(message);

function open(url: string, localAddress: string): Promise<SignalSocket> {
  const socket: SignalSocket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    localAddress,
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function joinRoom(socket: SignalSocket, roomId: string): Promise<string> {
  const reply = await socket.timeout(30_000).emitWithAck('join', { roomId });
  if (!reply.ok) throw new Error(reply.error);
  return reply.self;
}

async function connectAll(order: ConnectOrder) {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let opened = 0;
  const pairCount = Math.floor(order.sockets / 2);
  const address = (i: number) => order.localAddresses[i % order.localAddresses.length]!;
  const worker = async () => {
    while (next < pairCount) {
      const i = next++;
      const roomId = randomBytes(32).toString('base64url');
      try {
        const [a, b] = await Promise.all([
          open(order.url, address(2 * i)),
          open(order.url, address(2 * i + 1)),
        ]);
        await joinRoom(a, roomId);
        const bPeerId = await joinRoom(b, roomId);
        pairs.push({ roomId, a, b, bPeerId });
        opened += 2;
      } catch {
        failed += 2;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, order.concurrency / 2) }, worker));
  report({
    type: 'connected',
    held: opened,
    failed,
    elapsedMs: performance.now() - started,
  });
}

async function relay(order: RelayOrder) {
  const active = order.pairs > 0 ? pairs.slice(0, order.pairs) : pairs;
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const filler = randomBytes(order.dataBytes);
  for (const pair of active) {
    pair.b.removeAllListeners('signal');
    pair.b.on('signal', (message) => {
      const seq = Buffer.from(message.data.slice(0, 8), 'base64url').readUIntBE(0, 6);
      const t0 = sentAt.get(seq);
      if (t0 === undefined) return;
      latencies.push(performance.now() - t0);
      sentAt.delete(seq);
    });
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // Fixed rate: every tick sends what the schedule says is due, so a slow tick catches up.
  const total = Math.round(order.rate * order.seconds);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * order.rate));
      for (; sent < due; sent++) {
        const pair = active[sent % active.length]!;
        const bytes = Buffer.from(filler);
        bytes.writeUIntBE(sent, 0, 6);
        sentAt.set(sent, performance.now());
        // With its ack, as the app sends it; the latency is taken where the signal arrives.
        const request = {
          roomId: pair.roomId,
          to: pair.bPeerId,
          data: bytes.toString('base64url'),
        };
        pair.a.emit('signal', request, () => {});
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  // Wait for the last ones, within reason.
  for (let i = 0; i < 100 && sentAt.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  loopDelay.disable();
  report({
    type: 'relayed',
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    latencies,
    sent,
    lost: sentAt.size,
    stillConnected: pairs.reduce((n, p) => n + Number(p.a.connected) + Number(p.b.connected), 0),
  });
}

process.on('message', (order: Order) => {
  if (order.type === 'connect') void connectAll(order);
  else if (order.type === 'relay') void relay(order);
  else {
    for (const pair of pairs) {
      pair.a.close();
      pair.b.close();
    }
    process.exit(0);
  }
});
