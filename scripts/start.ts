// `npm start`: runs the storage server and the signal server side by side on their embedded
// defaults, says in one line where to open the app once both listen, stops both together, and
// exits if either one dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { EnvReader, isListening, logSettings, type Listening } from '@coffre/server-kit';

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

// The servers write through a pipe here, so they cannot see the terminal: this decides for both.
const { format } = logSettings(new EnvReader(process.env));

// The app finds the signal server on the host it was loaded from, so a phone on the same network
// reaches it too (protocol.md §2.1).
const env = {
  ...process.env,
  COFFRE_SIGNAL_URL: process.env.COFFRE_SIGNAL_URL ?? `:${process.env.COFFRE_SIGNAL_PORT ?? 8081}`,
  COFFRE_LOG_FORMAT: format,
};

// What the servers log before both listen waits, so the line saying where to open the app comes
// first; errors (stderr) are not held.
let held: Buffer[] | null = [];
function release() {
  for (const chunk of held ?? []) process.stdout.write(chunk);
  held = null;
}

const listening = new Map<string, Listening>();
function announce() {
  const storage = listening.get('storage');
  if (!storage || listening.size < Object.keys(services).length) return;
  const data = storage.data ? ` — data in ${storage.data}` : '';
  console.log(`Coffre is running: open ${storage.url}${data}`);
  release();
}

for (const [name, entry] of Object.entries(services)) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    stdio: ['inherit', 'pipe', 'inherit', 'ipc'],
    env,
  });
  child.stdout!.on('data', (chunk: Buffer) =>
    held ? held.push(chunk) : process.stdout.write(chunk),
  );
  child.on('message', (message) => {
    if (!isListening(message)) return;
    listening.set(message.server, message);
    announce();
  });
  child.on('exit', (code, signal) => {
    release();
    if (!stopping) console.error(`${name} server stopped (${signal ?? code}); stopping the rest`);
    stopAll(code ?? 1);
  });
  children.push(child);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopAll(0));
