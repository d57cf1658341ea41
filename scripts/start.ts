// `npm start`: runs the storage server and the signal server side by side on their embedded
// defaults, stops both together, and exits if either one dies.
import { spawn, type ChildProcess } from 'node:child_process';

const services = {
  storage: 'storage-server/src/main.ts',
  signal: 'signal-server/src/main.ts',
};

const children: ChildProcess[] = [];
let stopping = false;

function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}

// The app finds the signal server on the host it was loaded from, so a phone on the same network
// reaches it too (protocol.md §2.1).
const env = {
  ...process.env,
  COFFRE_SIGNAL_URL: process.env.COFFRE_SIGNAL_URL ?? `:${process.env.COFFRE_SIGNAL_PORT ?? 8081}`,
};

for (const [name, entry] of Object.entries(services)) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${name} server stopped (${signal ?? code}); stopping the rest`);
    stopAll(code ?? 1);
  });
  children.push(child);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopAll(0));
