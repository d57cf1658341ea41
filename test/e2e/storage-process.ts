import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

// The storage server as its own process, as `npm start` runs it, so a test can kill it the hard
// way (SIGKILL: nothing flushed, no goodbye) and read its own request log.

/** One answered request, from the server's log ("request completed"). */
export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
}

export interface StorageProcess {
  url: string;
  dataDir: string;
  /** Every request the server answered, across its restarts, in log order. */
  log: LoggedRequest[];
  /** SIGKILL, then wait until the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  close(): Promise<void>;
}

interface LogLine {
  msg?: string;
  reqId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}

export async function startStorageProcess(): Promise<StorageProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'coffre-e2e-process-'));
  const log: LoggedRequest[] = [];
  let child: ChildProcess | null = null;
  let port = 0;

  const launch = async (): Promise<void> => {
    const server = spawn(process.execPath, ['--import', 'tsx', 'storage-server/src/main.ts'], {
      env: {
        ...process.env,
        COFFRE_PORT: String(port),
        COFFRE_DATA_DIR: dataDir,
        COFFRE_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = server;
    // Request ids start again in each process: pair them within this one only.
    const pending = new Map<string, { method: string; url: string }>();
    let listening!: (port: number) => void;
    const started = new Promise<number>((resolve) => (listening = resolve));
    createInterface({ input: server.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      const address = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line.msg ?? '');
      if (address) listening(Number(address[1]));
      if (line.reqId && line.req) pending.set(line.reqId, line.req);
      if (line.reqId && line.res) {
        const request = pending.get(line.reqId);
        pending.delete(line.reqId);
        if (request) log.push({ ...request, status: line.res.statusCode });
      }
    });
    const exited = new Promise<never>((_, reject) =>
      server.once('exit', (code) => reject(new Error(`storage server exited (${code})`))),
    );
    // Only the start-up race listens for an early exit; a later kill is expected.
    exited.catch(() => {});
    port = await Promise.race([started, exited]);
  };

  const kill = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    // 'close': the process is gone and its log is read to the end.
    const gone = new Promise((resolve) => running.once('close', resolve));
    running.kill('SIGKILL');
    await gone;
  };

  await launch();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    dataDir,
    log,
    kill,
    start: launch,
    async close() {
      await kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
