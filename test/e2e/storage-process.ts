import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServiceProcess, type ServiceProcess } from './service-process';

// The storage server as its own process, with its own request log.

/** One answered request, from the server's log ("request completed"). */
export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
}

export interface StorageProcess extends ServiceProcess {
  dataDir: string;
  /** Every request the server answered, across its restarts, in log order. */
  log: LoggedRequest[];
  close(): Promise<void>;
}

/** `env` adds to the embedded defaults (a database URL, a blob store, Redis…). */
export async function startStorageProcess(env: NodeJS.ProcessEnv = {}): Promise<StorageProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'coffre-e2e-process-'));
  const log: LoggedRequest[] = [];
  const service = await startServiceProcess({
    entry: 'storage-server/src/main.ts',
    portVariable: 'COFFRE_PORT',
    env: { COFFRE_DATA_DIR: dataDir, COFFRE_LOG_LEVEL: 'info', ...env },
    listeningPort: (line) => {
      const address = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line.msg ?? '');
      return address ? Number(address[1]) : null;
    },
    onLog: () => {
      // Request ids start again in each process: pair them within this one only.
      const pending = new Map<string, { method: string; url: string }>();
      return (line) => {
        if (line.reqId && line.req) pending.set(line.reqId, line.req);
        if (line.reqId && line.res) {
          const request = pending.get(line.reqId);
          pending.delete(line.reqId);
          if (request) log.push({ ...request, status: line.res.statusCode });
        }
      };
    },
  });
  return Object.assign(service, {
    dataDir,
    log,
    async close() {
      await service.kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}
