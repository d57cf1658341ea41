import { startServiceProcess, type ServiceProcess } from './service-process';

/** The signal server as its own process; `env` adds to its embedded defaults. */
export function startSignalProcess(env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
  return startServiceProcess({
    entry: 'signal-server/src/main.ts',
    portVariable: 'COFFRE_SIGNAL_PORT',
    env,
    listeningPort: (line) => (line.msg === 'signal server listening' ? (line.port ?? null) : null),
  });
}
