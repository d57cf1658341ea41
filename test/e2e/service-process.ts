import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

// A server of ours as its own process, as `npm start` runs it, so a test can kill it the hard way
// (SIGKILL: nothing flushed, no goodbye) and start it again on the same port.

/** The fields of a server's JSON log lines that tests read. */
export interface LogLine {
  msg?: string;
  port?: number;
  reqId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}

export interface ServiceOptions {
  /** Entry module, relative to the repository root. */
  entry: string;
  /** Variable naming the port; 0 at first start, the same port at every restart. */
  portVariable: string;
  env: NodeJS.ProcessEnv;
  /** The port a log line says the server listens on, or null. */
  listeningPort(line: LogLine): number | null;
  /** Every log line of every run (a fresh call per process: request ids start again). */
  onLog?(): (line: LogLine) => void;
}

export interface ServiceProcess {
  readonly url: string;
  readonly port: number;
  /** SIGKILL, then wait until the process is gone and its log read to the end. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

export async function startServiceProcess(options: ServiceOptions): Promise<ServiceProcess> {
  let child: ChildProcess | null = null;
  let port = 0;

  const start = async (): Promise<void> => {
    const server = spawn(process.execPath, ['--import', 'tsx', options.entry], {
      env: { ...process.env, ...options.env, [options.portVariable]: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = server;
    const onLine = options.onLog?.();
    let listening!: (port: number) => void;
    const started = new Promise<number>((resolve) => (listening = resolve));
    createInterface({ input: server.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      const at = options.listeningPort(line);
      if (at !== null) listening(at);
      onLine?.(line);
    });
    const exited = new Promise<never>((_, reject) =>
      server.once('exit', (code) => reject(new Error(`${options.entry} exited (${code})`))),
    );
    // Only the start-up race listens for an early exit; a later kill is expected.
    exited.catch(() => {});
    port = await Promise.race([started, exited]);
  };

  const kill = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise((resolve) => running.once('close', resolve));
    running.kill('SIGKILL');
    await gone;
  };

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    kill,
    start,
  };
}
