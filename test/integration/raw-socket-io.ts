import WebSocket from 'ws';
import { SIGNAL_SOCKET_PATH } from '@coffre/core/protocol';

// A Socket.IO client written by hand over a plain websocket, so a test can send what no real
// client would. Every websocket message is one Engine.IO 4 packet, as text: a type digit, then
// its data. `0` open (from the server), `1` close, `2` ping, `3` pong, `4` message, `6` noop. A
// message carries a Socket.IO 5 packet: `40` connect to `/`, `41` disconnect, `42` an event
// (`42["join",{…}]`, or `4217["join",{…}]` asking for ack 17), `43` an ack (`4317[{…}]`), `44` a
// connect error.

/** The Socket.IO packets of the signal protocol, written out. */
export const packets = {
  connect: '40',
  disconnect: '41',
  noop: '6',
  pong: '3',
  /** An event with an ack id (the server answers `43<ack>[…]`), or without one. */
  event: (name: string, payload: unknown, ack?: number) =>
    `42${ack ?? ''}${JSON.stringify([name, payload])}`,
  /** A connect to a namespace the server does not have. */
  connectTo: (namespace: string) => `40${namespace},`,
};

export interface RawOptions {
  /** A loopback source address, to count as another client (127.0.0.2 …). */
  localAddress?: string;
  headers?: Record<string, string>;
  /** Answer the server's pings (a live client does); off, the server drops it after its timeout. */
  answerPings?: boolean;
}

export class RawSocketIo {
  /** Every packet the server sent, in order. */
  readonly received: string[] = [];
  /** Resolves when the websocket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data) => {
      const packet = String(data);
      this.received.push(packet);
      for (const wake of this.waiters) wake();
    });
    ws.on('error', () => {});
  }

  /** Opens the websocket and waits for the server's Engine.IO open packet. */
  static async open(url: string, options: RawOptions = {}): Promise<RawSocketIo> {
    const target = new URL(`${SIGNAL_SOCKET_PATH}?EIO=4&transport=websocket`, url);
    target.protocol = 'ws:';
    const ws = new WebSocket(target, {
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      headers: options.headers ?? {},
    });
    const client = new RawSocketIo(ws);
    if (options.answerPings ?? true) {
      ws.on('message', (data) => {
        if (String(data) === '2') client.send(packets.pong);
      });
    }
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('closed before it opened')));
      void client.next((packet) => packet.startsWith('0')).then(() => resolve(), reject);
    });
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes sent and not yet handed to the network. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends each packet as its own websocket message; nothing once the websocket is closing. */
  send(...sent: string[]): void {
    for (const packet of sent) if (this.isOpen) this.ws.send(packet);
  }

  /** The first packet received that matches, waiting for it if it has not come yet. */
  next(match: (packet: string) => boolean, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = this.received.find(match);
        if (found === undefined) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error('no such packet in time'));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void look();
      if (!look()) this.waiters.add(wake);
    });
  }

  /** Connects the default namespace and waits for the server's answer. */
  async connect(): Promise<void> {
    this.send(packets.connect);
    await this.next((packet) => packet.startsWith('40{'));
  }

  /** Packets of the server's `closing` event. */
  closings(): string[] {
    return this.received.filter((packet) => packet.startsWith('42["closing"'));
  }

  close(): void {
    this.ws.terminate();
  }
}
