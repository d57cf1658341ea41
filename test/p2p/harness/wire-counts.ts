// What carried a run's bytes, for the benchmark's `--wire` view: once watched, every peer
// connection the page makes is kept (simple-peer's too: it takes the global constructor each
// time it builds one), and the newest one's transport and data-channel counters are read while
// it runs, since a closed connection reports none.

/** What this side sent (its peer's counts give the other way). */
export interface WireCounts {
  /** UDP packets of the transport. */
  packetsSent: number;
  /** Bytes of those packets' payloads (DTLS records). */
  bytesSent: number;
  /** Data-channel messages. */
  messagesSent: number;
}

const connections: RTCPeerConnection[] = [];
let keeping = false;

/** From the first watch on (so the tests' pages keep nothing), connections are kept. */
function keepConnections(): void {
  if (keeping) return;
  keeping = true;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      connections.push(this);
    }
  };
}

const POLL_MS = 200;

function countsOf(report: RTCStatsReport): WireCounts {
  const counts: WireCounts = { packetsSent: 0, bytesSent: 0, messagesSent: 0 };
  report.forEach((stat: Record<string, unknown>) => {
    const n = (key: string) => (typeof stat[key] === 'number' ? (stat[key] as number) : 0);
    if (stat.type === 'transport') {
      counts.packetsSent += n('packetsSent');
      counts.bytesSent += n('bytesSent');
    } else if (stat.type === 'data-channel') {
      counts.messagesSent += n('messagesSent');
    }
  });
  return counts;
}

/** Starts reading the next connection's counters; the returned stop gives the last reading. */
export function watchWire(): () => WireCounts | null {
  keepConnections();
  const before = connections.length;
  let latest: WireCounts | null = null;
  const poll = setInterval(() => {
    const pc = connections.at(-1);
    if (connections.length === before || !pc || pc.connectionState === 'closed') return;
    pc.getStats().then(
      (report) => (latest = countsOf(report)),
      () => undefined, // closed meanwhile: the last reading stands
    );
  }, POLL_MS);
  return () => {
    clearInterval(poll);
    return latest;
  };
}
