// Messages between bench/signal/run.ts and its load-generator processes (over the fork IPC
// channel).

export interface ConnectOrder {
  type: 'connect';
  url: string;
  /** Sockets to open; pairs of them share a room. */
  sockets: number;
  /** Loopback source addresses, used in turn so no one address runs out of ports. */
  localAddresses: string[];
  /** Handshakes in flight at once. */
  concurrency: number;
}

export interface RelayOrder {
  type: 'relay';
  /** Signals per second this generator sends, spread over its pairs. */
  rate: number;
  seconds: number;
  /** Sealed-signal size in bytes (before base64url). */
  dataBytes: number;
  /** Send over the first `pairs` pairs only (0: all). */
  pairs: number;
}

export type Order = ConnectOrder | RelayOrder | { type: 'close' };

export interface Connected {
  type: 'connected';
  held: number;
  failed: number;
  elapsedMs: number;
}

export interface Relayed {
  type: 'relayed';
  /** One-way latencies (send to receipt) in ms, sender and recipient both in this process. */
  latencies: number[];
  sent: number;
  lost: number;
  /** This process's own event-loop delay during the run, in ms: its share of the latency. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Sockets still connected at the end. */
  stillConnected: number;
}

export type Report = Connected | Relayed;
