// The processes of bench:signal: the signal server, as `npm start` runs it, and the load
// generators (clients.ts), each a process of its own.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Order, Report } from './protocol';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface SignalProcess {
  child: ChildProcess;
  url: string;
  pid: number;
}

/** A signal server in its own process with `env` over the defaults, once it answers /health. */
export async function startSignalProcess(env: Record<string, string>): Promise<SignalProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'signal-server/src/main.ts'], {
    env: { ...process.env, COFFRE_SIGNAL_PORT: String(port), COFFRE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (attempt > 100 || child.exitCode !== null) throw new Error('signal server did not start');
      await sleep(100);
    }
  }
  return { child, url, pid: child.pid! };
}

/** One load-generator process, driven by orders over IPC. */
export class Generator {
  readonly child: ChildProcess;
  private waiting: ((report: Report) => void) | null = null;
  constructor() {
    this.child = fork(fileURLToPath(new URL('./clients.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    this.child.on('message', (report: Report) => this.waiting?.(report));
  }
  ask<T extends Report>(order: Order): Promise<T> {
    return new Promise((resolve) => {
      this.waiting = (report) => resolve(report as T);
      this.child.send(order);
    });
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'close' } satisfies Order);
    });
  }
}
