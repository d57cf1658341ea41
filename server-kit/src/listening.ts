/** What a server tells the process that started it, once it listens (`npm start` waits for it). */
export interface Listening {
  kind: 'coffre:listening';
  /** Which server: `storage` or `signal`. */
  server: string;
  /** Where it answers, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Where it keeps its data, for the servers that keep any. */
  data?: string;
}

export function isListening(message: unknown): message is Listening {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Partial<Listening>).kind === 'coffre:listening'
  );
}

/**
 * Sends `Listening` over the IPC channel Node opens for a child spawned with one; a server
 * started any other way has no channel, and this does nothing.
 */
export function announceListening(server: string, url: string, data?: string): void {
  const message: Listening = { kind: 'coffre:listening', server, url, ...(data ? { data } : {}) };
  process.send?.(message);
}
