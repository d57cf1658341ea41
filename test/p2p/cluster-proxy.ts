// The reverse proxy of docs/deploy/Caddyfile, run for real on loopback: the documented file with
// only its host names and node addresses replaced, so the tests check the config operators copy.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Proxy {
  close(): Promise<void>;
}

/** Caddy from Debian's package (`.ci/run` installs it). */
const CADDY = process.env.COFFRE_CADDY ?? '/usr/bin/caddy';

export async function startProxy(options: {
  appPort: number;
  signalPort: number;
  storage: number[];
  signal: number[];
}): Promise<Proxy> {
  const documented = await readFile(
    new URL('../../docs/deploy/Caddyfile', import.meta.url),
    'utf8',
  );
  const upstreams = (ports: number[]) => ports.map((port) => `127.0.0.1:${port}`).join(' ');
  const config = [
    // No admin listener and no certificates on loopback; everything else as documented.
    '{\n\tadmin off\n\tauto_https off\n}\n',
    documented
      .replace('signal.coffre.example.com {', `http://127.0.0.1:${options.signalPort} {`)
      .replace('coffre.example.com {', `http://127.0.0.1:${options.appPort} {`)
      .replace('10.0.0.11:8080 10.0.0.12:8080', upstreams(options.storage))
      .replace('10.0.0.11:8081 10.0.0.12:8081', upstreams(options.signal)),
  ].join('\n');
  const dir = await mkdtemp(path.join(tmpdir(), 'coffre-proxy-'));
  const file = path.join(dir, 'Caddyfile');
  await writeFile(file, config);
  const caddy = spawn(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  let output = '';
  caddy.stderr.on('data', (piece: Buffer) => (output += piece.toString()));
  const exited = new Promise<never>((_, reject) =>
    caddy.once('exit', (code) => reject(new Error(`caddy exited (${code}):\n${output}`))),
  );
  exited.catch(() => {});
  await Promise.race([untilAnswering(options.appPort), exited]);
  return {
    async close() {
      if (caddy.exitCode === null) {
        const gone = new Promise((resolve) => caddy.once('close', resolve));
        caddy.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function untilAnswering(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the proxy never answered');
}
