// Configuration from the environment, with the embedded defaults `npm start` uses.
export interface SignalConfig {
  host: string;
  port: number;
  /** Largest Socket.IO message accepted, in bytes: signals are small, anything bigger is abuse. */
  maxMessageBytes: number;
  maxRoomSize: number;
  maxConnectionsPerIp: number;
  /** Events a socket may emit per second before it is disconnected. */
  maxEventsPerSecond: number;
  /** Origins allowed to open a socket (the app's origin); empty allows any. */
  allowedOrigins: string[];
  /** ICE servers (STUN/TURN) handed to clients, as JSON in COFFRE_ICE_SERVERS. */
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}

export function loadSignalConfig(): SignalConfig {
  return {
    host: process.env.COFFRE_SIGNAL_HOST ?? '127.0.0.1',
    port: intFromEnv('COFFRE_SIGNAL_PORT', 8081),
    maxMessageBytes: intFromEnv('COFFRE_SIGNAL_MAX_MESSAGE_BYTES', 8 * 1024),
    maxRoomSize: intFromEnv('COFFRE_SIGNAL_MAX_ROOM_SIZE', 8),
    maxConnectionsPerIp: intFromEnv('COFFRE_SIGNAL_MAX_CONNECTIONS_PER_IP', 64),
    maxEventsPerSecond: intFromEnv('COFFRE_SIGNAL_MAX_EVENTS_PER_SECOND', 50),
    allowedOrigins: (process.env.COFFRE_SIGNAL_ORIGINS ?? '').split(',').filter(Boolean),
    iceServers: JSON.parse(process.env.COFFRE_ICE_SERVERS ?? '[]'),
  };
}
