import { Connection } from './connection';

// A cheap load generator for one machine: one keep-alive connection per request in flight,
// bodies prepared beforehand, so the generator's own CPU stays small next to the server's.

export interface LoadStep {
  path: string;
  body: Buffer;
  /** The status that counts as success. */
  expect: number;
  /** The client address a trusted reverse proxy would report (`X-Forwarded-For`). */
  from: string;
}

export interface LoadResult {
  /** Wall time of the whole run in ms. */
  elapsedMs: number;
  /** Latency in ms of every successful request, in completion order. */
  latencies: Float64Array;
  succeeded: number;
  errors: number;
  /** A few distinct error descriptions (status and body head, or the socket error). */
  errorSamples: string[];
}

/** A request that takes this long counts as an error, so a stuck server cannot hang the run. */
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_ERROR_SAMPLES = 5;

/** Sends one step; its status and the head of its body, or the error that stopped it. */
export async function send(
  connection: Connection,
  step: LoadStep,
): Promise<{ status: number; head: string } | Error> {
  try {
    const { status, body } = await connection.post(
      step.path,
      step.body,
      `x-forwarded-for: ${step.from}\r\n`,
    );
    return { status, head: status === step.expect ? '' : body.toString('utf8', 0, 200) };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Runs `count` operations with `concurrency` of them in flight. Operation i sends the steps of
 * `stepsOf(i)` one after the other; its latency is the sum, and it fails at its first wrong status.
 */
export async function runLoad(
  url: string,
  count: number,
  concurrency: number,
  stepsOf: (index: number) => LoadStep[],
): Promise<LoadResult> {
  const origin = new URL(url);
  const latencies = new Float64Array(count);
  let succeeded = 0;
  let errors = 0;
  const errorSamples = new Set<string>();
  let next = 0;

  const worker = async () => {
    const connection = new Connection(origin.hostname, Number(origin.port), REQUEST_TIMEOUT_MS);
    while (next < count) {
      const index = next++;
      const started = performance.now();
      let failure: string | null = null;
      for (const step of stepsOf(index)) {
        const outcome = await send(connection, step);
        if (outcome instanceof Error) failure = `${step.path}: ${outcome.message}`;
        else if (outcome.status !== step.expect) {
          failure = `${step.path}: ${outcome.status} ${outcome.head}`;
        }
        if (failure) break;
      }
      if (failure) {
        errors++;
        if (errorSamples.size < MAX_ERROR_SAMPLES) errorSamples.add(failure);
      } else {
        latencies[succeeded++] = performance.now() - started;
      }
    }
    connection.close();
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  return {
    elapsedMs,
    latencies: latencies.subarray(0, succeeded),
    succeeded,
    errors,
    errorSamples: [...errorSamples],
  };
}

/** The latency below which `fraction` of the requests finished (nearest rank). */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}
