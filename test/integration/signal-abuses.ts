import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { packets, RawSocketIo } from './raw-socket-io';
import { holdConnection } from './slow-clients';

// What a hostile client does to a signal server (protocol.md §5.4), each for a while and again
// whenever the server closes on it, as an attacker would: run in a process of its own
// (signal-abuser.ts) while a bystander measures its relay, by the integration test and by
// bench:signal.

export const ABUSES = [
  'namespace-loop',
  'event-flood',
  'noop-flood',
  'handshake-burst',
  'slow-connections',
] as const;
export type Abuse = (typeof ABUSES)[number];

export interface AbuseOrder {
  abuse: Abuse;
  url: string;
  seconds: number;
  /** Loopback source addresses the abuser spreads over (127.0.0.2 …), the bystander's not among them. */
  addresses: string[];
}

export interface AbuseReport {
  /** Connections the server let in (the websocket opened, or the TCP connection stayed). */
  opened: number;
  /** Connections closed before they opened, or as soon as they did. */
  refused: number;
  /** Packets (or requests) sent. */
  sent: number;
  /** `closing` events the server sent: at most one per connection. */
  closings: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Keeps at most this much queued on a websocket, so a flood measures the server, not our memory. */
const QUEUED_BYTES = 64 * 1024;

const leave = (ack: number) =>
  packets.event('leave', { roomId: randomBytes(32).toString('base64url') }, ack);

/** Runs `abuse` until its time is up. */
export async function runAbuse(order: AbuseOrder): Promise<AbuseReport> {
  const report: AbuseReport = { opened: 0, refused: 0, sent: 0, closings: 0 };
  const until = performance.now() + order.seconds * 1000;
  const running = () => performance.now() < until;
  const address = (i: number) => order.addresses[i % order.addresses.length]!;

  const open = async (i: number): Promise<RawSocketIo | null> => {
    try {
      const raw = await RawSocketIo.open(order.url, { localAddress: address(i) });
      report.opened += 1;
      void raw.closed.then(() => (report.closings += raw.closings().length));
      return raw;
    } catch {
      report.refused += 1;
      await sleep(10);
      return null;
    }
  };
  /** `connections` clients, each doing `life` on a fresh connection whenever the last one ends. */
  const loop = (connections: number, life: (raw: RawSocketIo) => Promise<void>) =>
    Promise.all(
      Array.from({ length: connections }, async (_, i) => {
        while (running()) {
          const raw = await open(i);
          if (!raw) continue;
          await life(raw);
          raw.close();
        }
      }),
    );
  /** Sends `next()` while the connection is open and the time is not up, paced by its queue. */
  const flood = async (raw: RawSocketIo, next: (i: number) => string) => {
    for (let i = 0; raw.isOpen && running(); i++) {
      if (raw.buffered > QUEUED_BYTES) await sleep(1);
      raw.send(next(i));
      report.sent += 1;
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };

  switch (order.abuse) {
    // The reported bypass: a burst, leave the namespace, connect again on the same connection.
    case 'namespace-loop':
      await loop(16, async (raw) => {
        for (let round = 0; raw.isOpen && running(); round++) {
          raw.send(packets.connect, ...Array.from({ length: 40 }, (_, i) => leave(i)));
          raw.send(packets.disconnect);
          report.sent += 42;
          await sleep(5);
        }
      });
      break;
    case 'event-flood':
      await loop(16, async (raw) => {
        raw.send(packets.connect);
        await flood(raw, leave);
      });
      break;
    case 'noop-flood':
      await loop(16, (raw) => flood(raw, (i) => (i % 2 ? packets.noop : packets.pong)));
      break;
    // 1,000 sockets from every address, 100 handshakes at a time, held, closed, and again.
    case 'handshake-burst':
      while (running()) {
        const held: RawSocketIo[] = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: 100 }, async () => {
            while (next < 1000 && running()) {
              const raw = await open(next++);
              if (!raw) continue;
              raw.send(packets.connect);
              report.sent += 1;
              held.push(raw);
            }
          }),
        );
        for (const raw of held) raw.close();
      }
      break;
    // 300 connections from one address that never finish a request, opened again when dropped.
    case 'slow-connections': {
      const port = Number(new URL(order.url).port);
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          while (running()) {
            const head = i % 2 ? 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n' : '';
            try {
              const held = await holdConnection(port, head, order.addresses[0]);
              report.sent += 1;
              const after = await Promise.race([
                held.closedAfter,
                sleep(until - performance.now()),
              ]);
              if (typeof after === 'number' && after < 100) report.refused += 1;
              else report.opened += 1;
              held.socket.destroy();
            } catch {
              report.refused += 1;
              await sleep(10);
            }
          }
        }),
      );
      break;
    }
  }
  return report;
}

export interface Abuser {
  /** Resolves once the abuser process runs and its abuse has begun. */
  started: Promise<void>;
  /** Resolves with its report once its time is up. */
  report: Promise<AbuseReport>;
}

/**
 * Runs `order` in a process of its own at the lowest CPU priority, standing in for an attacker's
 * own machine: what the bystander then loses is the server's work, not the abuser's share of
 * this machine.
 */
export function abuseFromAnotherProcess(order: AbuseOrder): Abuser {
  const child = fork(fileURLToPath(new URL('./signal-abuser.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  setPriority(child.pid!, constants.priority.PRIORITY_LOW);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the abuser exited with ${code}`))),
  );
  const message = <T>(type: string) =>
    Promise.race([
      new Promise<T>((resolve) =>
        child.on('message', (m: { type: string; report?: AbuseReport }) => {
          if (m.type === type) resolve(m.report as T);
        }),
      ),
      exited,
    ]);
  const abuser = { started: message<void>('started'), report: message<AbuseReport>('report') };
  child.send(order);
  return abuser;
}
