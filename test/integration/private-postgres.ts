// A PostgreSQL server of a test's own (initdb in a temp dir, a free loopback port), which the test
// may kill and start again: the machine's shared server must never be restarted under other tests.
// PostgreSQL refuses to run as root, so it runs as the `postgres` user when the tests are root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port';

const ROOT = '/usr/lib/postgresql';

/** The newest installed PostgreSQL's bin directory. */
function binDir(): string {
  const versions = readdirSync(ROOT).sort((a, b) => Number(b) - Number(a));
  return path.join(ROOT, versions[0]!, 'bin');
}

export interface PrivatePostgres {
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'coffre-pg-'));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? spawnSync('id', ['-u', 'postgres']).stdout.toString().trim() : null;
  if (owner) chownSync(dir, Number(owner), Number(owner));
  const run = (command: string, args: string[]) =>
    asRoot
      ? spawn('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' })
      : spawn(command, args, { stdio: 'ignore' });
  const data = path.join(dir, 'data');
  await exited(
    run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']),
  );
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | null = null;

  const start = async () => {
    server = run(path.join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ]);
    for (let attempt = 0; ; attempt++) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => {});
        if (attempt >= 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const kill = async () => {
    const running = server;
    server = null;
    if (!running || running.exitCode !== null) return;
    // The postmaster itself, the way a crash takes it (runuser cannot pass SIGKILL on, and must
    // live to reap it); its backends see it gone and exit.
    const gone = exited(running);
    const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await gone;
  };
  await start();
  return {
    url,
    start,
    kill,
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', resolve));
}
