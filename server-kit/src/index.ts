// @coffre/server-kit: what both servers need from Node alike, one copy each: settings read from
// the environment with bounds, the client address behind trusted proxies, the bounds on slow and
// pending connections, the metrics listener, graceful shutdown, log output, and the "listening"
// message `npm start` waits for.
// Node only. It imports neither server (nor core/crypto, nor the client); both servers import it.
export {
  EnvReader,
  invalidSetting,
  NON_NEGATIVE,
  PORT,
  redisSettings,
  TIMER_MS,
  type Bounds,
  type Env,
  type RedisSettings,
} from './env';
export { addressKey, clientAddress, MAX_PROXY_HOPS, proxyHops, trustHops } from './client-address';
export {
  BODY_IDLE_TIMEOUT_MS,
  BOUNDED_SERVER_OPTIONS,
  boundConnections,
  HEADERS_TIMEOUT_MS,
  NEW_PER_ADDRESS_PER_SECOND,
  PENDING_PER_ADDRESS,
  type ConnectionBounds,
  type ConnectionGate,
} from './connection-bounds';
export { metricsListener, metricsRegistry, serveMetrics, type MetricsListener } from './metrics';
export { closeWithin, stopOnSignals, type GracefulStop } from './shutdown';
export { logDestination, logSettings, type LogFormat } from './logging';
export { announceListening, isListening, type Listening } from './listening';
