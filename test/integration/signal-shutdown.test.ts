import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { client, joinAs, newRoomId, whenDropped } from './signal-harness';

// The real entry point in its own process, stopped by a real signal.

interface Process {
  child: ChildProcess;
  url: string;
  /** Everything the process logged so far. */
  output(): string;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startProcess(env: Record<string, string>): Promise<Process> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signal-server/src/main.ts'], {
    env: { ...process.env, COFFRE_SIGNAL_PORT: '0', COFFRE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': it comes once stdout is drained, so the last log line has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    const look = () => {
      const match = /"port":(\d+).*"msg":"signal server listening"/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on('data', look);
    void exited.then(() => reject(new Error(`signal server exited:\n${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

describe('signal server shutdown', () => {
  it('on SIGTERM tells every socket, disconnects it and exits 0', async () => {
    const server = await startProcess({ COFFRE_SIGNAL_SHUTDOWN_TIMEOUT_MS: '60000' });
    const sockets = await Promise.all([client(server.url), client(server.url), client(server.url)]);
    const room = newRoomId();
    for (const s of sockets) await joinAs(s, room);
    const dropped = sockets.map(whenDropped);

    server.child.kill('SIGTERM');
    for (const outcome of await Promise.all(dropped)) {
      expect(outcome).toEqual({ closing: 'shutdown', reason: 'io server disconnect' });
    }
    expect(await server.exited).toBe(0);
    // It finished because every connection closed, not because the deadline ran out.
    expect(server.output()).toContain('"msg":"stopped"');
    expect(server.output()).not.toContain('deadline');
  });

  it('stops the same way on SIGINT, and takes no new socket after', async () => {
    const server = await startProcess({ COFFRE_SIGNAL_SHUTDOWN_TIMEOUT_MS: '60000' });
    const a = await client(server.url);
    const dropped = whenDropped(a);
    server.child.kill('SIGINT');
    await dropped;
    await expect(client(server.url)).rejects.toThrow();
    expect(await server.exited).toBe(0);
  });

  it('closes what is left at the deadline and still exits', async () => {
    const server = await startProcess({ COFFRE_SIGNAL_SHUTDOWN_TIMEOUT_MS: '500' });
    const socket = await client(server.url);
    const dropped = whenDropped(socket);
    // A request whose headers never finish keeps the HTTP server from closing on its own.
    const { port } = new URL(server.url);
    const stuck = tcpConnect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => stuck.once('connect', resolve));
    stuck.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const stuckClosed = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
    stuck.on('error', () => {});

    server.child.kill('SIGTERM');
    expect((await dropped).closing).toBe('shutdown');
    // A second signal while stopping (as Ctrl-C under `npm start` sends) does not cut it short.
    server.child.kill('SIGTERM');
    await stuckClosed;
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('closed connections left at deadline');
  });
});
