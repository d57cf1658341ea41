// bench/scale: the same load on one storage-server process and on two, in the same run, on
// PostgreSQL and an S3-compatible store (the scale-out engines; the emulator runs in this process).
// Sign-ups: opaque accounts (client work precomputed), spread over the nodes as a load balancer
// would. Uploads: several accounts each upload a file at once, four chunks in flight, and each
// chunk goes to the next node in turn — any node serves any request of an upload session.
// Usage: npm run bench:scale [-- signups [uploads [MiB per upload]]]
import { createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { CHUNK_OVERHEAD, CHUNK_SIZE } from '@coffre/core/format';
import { ROUTES, apiPath } from '@coffre/core/protocol';
import { createTestDatabase, dropTestDatabases } from '../../test/integration/postgres-databases';
import { S3Emulator } from '../../test/integration/s3-emulator';
import { uploadRequest } from '../../test/integration/harness';
import { cpuSecondsOf } from '../launch/cpu';
import { percentile, runLoad, type LoadResult } from '../launch/load';
import { createOpaqueAccount, opaqueSignup } from '../lib/opaque-account';
import { startStorageProcess, type StorageProcess } from '../lib/storage-process';

const [SIGNUPS = 20_000, UPLOADS = 8, UPLOAD_MIB = 64] = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const CONCURRENCY = 32;
const CHUNKS_IN_FLIGHT = 4;
const MB = 1_000_000;

interface Row {
  nodes: number;
  signup: LoadResult & { wallMs: number };
  uploadMBps: number;
  uploadErrors: number;
  serverCpu: number;
}

async function startNodes(count: number, s3: S3Emulator): Promise<StorageProcess[]> {
  const databaseUrl = await createTestDatabase();
  const env = {
    DATABASE_URL: databaseUrl,
    ...s3.environment(),
    // Behind a proxy, each account from its own address: production rate limits, a crowd.
    COFFRE_TRUST_PROXY: '1',
  };
  // One first, so the migrations run before the others start.
  const first = await startStorageProcess(env);
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => startStorageProcess(env)));
  return [first, ...rest];
}

/** `count` sign-ups, the connections split evenly over the nodes. */
async function signUps(nodes: StorageProcess[], tag: string) {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const perNode = Math.ceil(SIGNUPS / nodes.length);
  const started = performance.now();
  const results = await Promise.all(
    nodes.map((node, n) =>
      runLoad(node.url, perNode, CONCURRENCY / nodes.length, (i) => {
        const index = n * perNode + i;
        const from = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
        const body = json(opaqueSignup(`scale-${tag}-${index}@example.org`));
        return [{ path: ROUTES.signup, body, expect: 202, from }];
      }),
    ),
  );
  const wallMs = performance.now() - started;
  const latencies = Float64Array.from(results.flatMap((r) => [...r.latencies])).sort();
  return {
    wallMs,
    elapsedMs: wallMs,
    latencies,
    succeeded: results.reduce((sum, r) => sum + r.succeeded, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    errorSamples: results.flatMap((r) => r.errorSamples),
  };
}

const chunks = Array.from({ length: Math.ceil((UPLOAD_MIB * 1024 * 1024) / CHUNK_SIZE) }, () =>
  randomBytes(CHUNK_SIZE + CHUNK_OVERHEAD),
);
const chunkIds = chunks.map((chunk) => createHash('sha256').update(chunk).digest('base64url'));

/** One file uploaded and committed; its chunks go to the nodes in turn. */
async function uploadOne(nodes: StorageProcess[], account: { token: string; rootId: string }) {
  const auth = { authorization: `Bearer ${account.token}` };
  const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const created = await fetch(`${nodes[0]!.url}${ROUTES.uploads}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(uploadRequest(account.rootId, size, chunks.length)),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status}`);
  const { uploadId } = (await created.json()) as { uploadId: string };
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const index = next++;
      const node = nodes[index % nodes.length]!;
      const put = await fetch(`${node.url}${apiPath.uploadChunk(uploadId, index)}`, {
        method: 'PUT',
        headers: {
          ...auth,
          'content-type': 'application/octet-stream',
          'coffre-chunk-sha256': chunkIds[index]!,
        },
        body: chunks[index]!,
      });
      await put.arrayBuffer();
      if (put.status !== 201) throw new Error(`chunk ${index}: ${put.status}`);
    }
  };
  await Promise.all(Array.from({ length: CHUNKS_IN_FLIGHT }, worker));
  const committed = await fetch(`${nodes.at(-1)!.url}${apiPath.uploadCommit(uploadId)}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: randomBytes(200).toString('base64url'), chunks: chunkIds }),
  });
  if (committed.status !== 201) throw new Error(`commit: ${committed.status}`);
  return size;
}

async function uploads(nodes: StorageProcess[], tag: string) {
  const accounts = await Promise.all(
    Array.from({ length: UPLOADS }, (_, i) =>
      createOpaqueAccount(nodes[i % nodes.length]!.url, `scale-up-${tag}-${i}@example.org`),
    ),
  );
  const started = performance.now();
  const outcomes = await Promise.allSettled(accounts.map((account) => uploadOne(nodes, account)));
  const seconds = (performance.now() - started) / 1000;
  const bytes = outcomes.reduce((sum, o) => sum + (o.status === 'fulfilled' ? o.value : 0), 0);
  return { MBps: bytes / MB / seconds, errors: outcomes.filter((o) => o.status === 'rejected') };
}

async function measure(count: number, s3: S3Emulator): Promise<Row> {
  console.error(`${count} node(s)…`);
  const nodes = await startNodes(count, s3);
  const tag = `${count}-${Date.now().toString(36)}`;
  try {
    const cpuBefore = nodes.map((node) => cpuSecondsOf(node.pid));
    const signup = await signUps(nodes, tag);
    const upload = await uploads(nodes, tag);
    for (const error of upload.errors) console.error(`upload error: ${String(error.reason)}`);
    const serverCpu = nodes.reduce(
      (sum, node, i) => sum + cpuSecondsOf(node.pid) - cpuBefore[i]!,
      0,
    );
    return {
      nodes: count,
      signup,
      uploadMBps: upload.MBps,
      uploadErrors: upload.errors.length,
      serverCpu,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

function report(rows: Row[]) {
  console.log(
    `PostgreSQL + S3 emulator, loopback; ${SIGNUPS} sign-ups over ${CONCURRENCY} connections, ` +
      `then ${UPLOADS} uploads of ${UPLOAD_MIB} MiB at once (${CHUNKS_IN_FLIGHT} chunks in flight each)`,
  );
  console.log(`cores: 2 shared by the nodes, PostgreSQL, the emulator and this load generator`);
  const header = [
    'nodes',
    'sign-ups/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'upload MB/s',
    'upload errors',
    'server CPU s',
  ];
  console.log(header.join('  '));
  for (const row of rows) {
    const sorted = row.signup.latencies;
    console.log(
      [
        String(row.nodes).padStart(5),
        ((row.signup.succeeded / row.signup.wallMs) * 1000).toFixed(0).padStart(10),
        percentile(sorted, 0.5).toFixed(1).padStart(6),
        percentile(sorted, 0.99).toFixed(1).padStart(6),
        String(row.signup.errors).padStart(6),
        row.uploadMBps.toFixed(1).padStart(11),
        String(row.uploadErrors).padStart(13),
        row.serverCpu.toFixed(1).padStart(12),
      ].join('  '),
    );
    for (const sample of row.signup.errorSamples) console.log(`  sign-up error: ${sample}`);
  }
  const [one, two] = rows;
  if (one && two) {
    const ratio = (a: number, b: number) => (b / a).toFixed(2);
    console.log(
      `two nodes vs one (same run): sign-ups ×${ratio(one.signup.succeeded / one.signup.wallMs, two.signup.succeeded / two.signup.wallMs)}, ` +
        `upload ×${ratio(one.uploadMBps, two.uploadMBps)}`,
    );
  }
  console.log(
    `load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

const s3 = await S3Emulator.start();
try {
  const rows = [await measure(1, s3), await measure(2, s3)];
  report(rows);
} finally {
  await s3.close();
  await dropTestDatabases();
}
