import { connect, type Socket } from 'node:net';

// A minimal HTTP/1.1 keep-alive client for the load generator: it writes a prepared request and
// reads back only the status and the Content-Length body. node:http's client parses every
// response header into objects and builds a request object per call, which cost the generator
// about as much CPU as a third of the server's work per sign-up, on the same two cores.

export interface Answer {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^content-length:\s*(\d+)\s*$/im;

export class Connection {
  private socket: Socket | null = null;
  private received: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one POST and resolves with its answer; one request at a time per connection. */
  post(path: string, body: Buffer, headers: string): Promise<Answer> {
    const socket = this.socket ?? this.open();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.cork();
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${this.host}\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.length}\r\n${headers}\r\n`,
        'latin1',
      );
      socket.write(body);
      socket.uncork();
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
    this.received = Buffer.alloc(0);
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.setTimeout(this.timeoutMs, () =>
      socket.destroy(new Error(`no answer in ${this.timeoutMs} ms`)),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (error?: Error) => {
      // A socket this connection already let go of (after `connection: close`) owes nothing.
      if (this.socket !== socket) return;
      this.socket = null;
      this.received = Buffer.alloc(0);
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(error ?? new Error('connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
    const headerEnd = this.received.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.received.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? Number.NaN);
    if (!Number.isInteger(length)) {
      this.socket?.destroy(new Error(`answer without Content-Length: ${head.split('\r\n')[0]}`));
      return;
    }
    const bodyStart = headerEnd + HEADER_END.length;
    if (this.received.length < bodyStart + length) return;
    const body = this.received.subarray(bodyStart, bodyStart + length);
    this.received = this.received.subarray(bodyStart + length);
    const waiting = this.waiting;
    this.waiting = null;
    if (/^connection:\s*close\s*$/im.test(head)) this.close();
    waiting?.resolve({ status, body });
  }
}
