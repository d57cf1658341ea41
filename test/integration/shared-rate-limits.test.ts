import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  startServer,
  storesOf,
  TEST_DATABASE,
  type Endpoint,
  type TestServer,
} from './harness';

// Rate limits across nodes: with Redis configured (integration-scale), two nodes count into the
// same window, so spreading requests over the nodes of a deployment gains an abuser nothing. A
// Redis that cannot be reached never takes the service down with it.

const LIMIT = { max: 5, windowMs: 60_000 };
let nodeA: TestServer;

beforeAll(async () => {
  nodeA = await startServer({ authRateLimit: LIMIT });
});

afterAll(async () => {
  await nodeA.close();
});

const prelogin = (endpoint: Endpoint) =>
  call(endpoint, 'POST', '/api/v1/auth/prelogin', { json: { email: 'someone@example.org' } });

describe('rate limits shared through Redis', () => {
  it.runIf(TEST_DATABASE === 'postgres')(
    'count requests to two nodes into one window',
    async () => {
      const nodeB = await startServer({ ...storesOf(nodeA), authRateLimit: LIMIT });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < LIMIT.max + 1; i++) {
          statuses.push((await prelogin(i % 2 === 0 ? nodeA : nodeB)).status);
        }
        expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      } finally {
        await nodeB.app.close();
      }
    },
  );

  it('lets requests through when Redis cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    const node = await startServer({
      authRateLimit: LIMIT,
      redis: { url: 'redis://127.0.0.1:1', prefix: 'coffre-it-unreachable:' },
    });
    try {
      for (let i = 0; i < LIMIT.max + 2; i++) expect((await prelogin(node)).status).toBe(200);
    } finally {
      await node.close();
    }
  });
});
