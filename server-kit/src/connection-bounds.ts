import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { AddressRate } from './address-rate';
import { addressKey, clientAddress } from './client-address';
import type { Bounds } from './env';

/**
 * How long a client may keep a connection waiting for it, and how many connections one client
 * address may keep waiting at once (protocol.md §1 and §5.4). Without these a client holds a
 * descriptor and a parser for nothing: a connection that sends no byte, a request head that never
 * ends, a body that promised bytes and went silent.
 */
export interface ConnectionBounds {
  /** The request head (line and headers) must be complete this long after it began. */
  headersTimeoutMs: number;
  /**
   * The longest gap between two bytes a client sends while the server waits for them; a body
   * that keeps moving takes as long as it needs.
   */
  bodyIdleTimeoutMs: number;
  /**
   * Connections one address may hold waiting for an answer: accepted and not yet answered, or
   * answered with an upgrade (a websocket keeps its place until it closes).
   */
  maxPendingPerAddress: number;
  /**
   * New connections (behind proxies: requests) one address may open per second, with ten
   * seconds' worth at once; null: as many as the other bounds allow.
   */
  maxNewPerAddressPerSecond: number | null;
  /** Reverse proxies in front (`proxyHops`): the client's address is known only from the head. */
  proxyHops: number;
}

/** A request head is a few hundred bytes: seconds, not the minute Node allows by default. */
export const HEADERS_TIMEOUT_MS: Bounds = { min: 1000, max: 60_000 };
/** Long enough for a phone that loses its signal for a moment, short enough to free a stalled body. */
export const BODY_IDLE_TIMEOUT_MS: Bounds = { min: 1000, max: 600_000 };
export const PENDING_PER_ADDRESS: Bounds = { min: 1, max: 1_000_000 };
export const NEW_PER_ADDRESS_PER_SECOND: Bounds = { min: 1, max: 1_000_000 };

/**
 * How often Node looks for requests past their head or request timeout. Its default, 30 s, let a
 * connection outlive a 10 s bound by up to that much.
 */
const TIMEOUT_CHECK_MS = 1000;

/** What `http.createServer` (fastify's `http`) must be given for `boundConnections` to hold. */
export const BOUNDED_SERVER_OPTIONS = {
  connectionsCheckingInterval: TIMEOUT_CHECK_MS,
} as const satisfies ServerOptions;

export interface ConnectionGate {
  /**
   * False for a request that came past its address's bounds: the server refuses it at once,
   * before reading its body.
   */
  admitted(request: IncomingMessage): boolean;
}

type Release = () => void;

/**
 * Applies `bounds` to a server created with `BOUNDED_SERVER_OPTIONS`: ends a request head that
 * takes too long, drops a connection silent past `bodyIdleTimeoutMs` while the server waits for
 * the client, and counts each address's pending connections and new ones. With no proxy in
 * front, a connection counts from the moment it is accepted, and one over a bound is closed
 * before a byte is read; behind proxies, the connection is the proxy's and a request counts from
 * its head, under the client address the proxies report. Install it after anything that wraps
 * the server's listeners (Socket.IO does), so it sees every request first.
 */
export function boundConnections(server: Server, bounds: ConnectionBounds): ConnectionGate {
  const pending = new Map<string, number>();
  const refused = new WeakSet<IncomingMessage>();
  /** A connection's place, taken when it was accepted, until its first request takes it over. */
  const accepted = new WeakMap<Socket, Release>();
  /** The request each connection is receiving or answering. */
  const inFlight = new WeakMap<Socket, IncomingMessage>();

  const rate =
    bounds.maxNewPerAddressPerSecond === null
      ? null
      : new AddressRate(bounds.maxNewPerAddressPerSecond);

  /** A pending place for `address`, or null when over; `opens` counts it as a new connection. */
  const take = (address: string, opens: boolean): Release | null => {
    const key = addressKey(address);
    const held = pending.get(key) ?? 0;
    if (held >= bounds.maxPendingPerAddress || (opens && rate && !rate.take(key))) return null;
    pending.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (pending.get(key) ?? 1) - 1;
      if (left <= 0) pending.delete(key);
      else pending.set(key, left);
    };
  };
  const placeFor = (request: IncomingMessage): Release | null => {
    const first = accepted.get(request.socket);
    accepted.delete(request.socket);
    // Behind proxies each request is what a new connection is without them.
    return first ?? take(clientAddress(request, bounds.proxyHops), bounds.proxyHops > 0);
  };

  if (rate) {
    const sweeps = setInterval(() => rate.sweep(), AddressRate.BURST_SECONDS * 1000).unref();
    server.once('close', () => clearInterval(sweeps));
  }
  server.headersTimeout = bounds.headersTimeoutMs;
  server.timeout = bounds.bodyIdleTimeoutMs;
  server.on('connection', (socket: Socket) => {
    if (bounds.proxyHops > 0) return;
    const place = take(socket.remoteAddress ?? '', true);
    if (!place) return void socket.destroy();
    accepted.set(socket, place);
    socket.once('close', () => accepted.get(socket)?.());
  });
  server.prependListener('request', (request, response) => {
    inFlight.set(request.socket, request);
    const place = placeFor(request);
    if (!place) refused.add(request);
    response.once('close', () => {
      place?.();
      if (inFlight.get(request.socket) === request) inFlight.delete(request.socket);
    });
  });
  server.prependListener('upgrade', (request: IncomingMessage, socket: Socket) => {
    const place = placeFor(request);
    if (!place) return void refused.add(request);
    socket.once('close', place);
  });
  // Node calls this when a connection has been silent for `server.timeout`; with a listener, the
  // choice is ours. A request received whole whose answer is still being worked out is the
  // server's wait, not the client's; every other silence is the client's.
  server.on('timeout', (socket: Socket) => {
    const request = inFlight.get(socket);
    if (request?.complete && socket.writableLength === 0) return;
    socket.destroy();
  });

  return { admitted: (request) => !refused.has(request) };
}
