import { Counter, Gauge } from 'prom-client';
import type { SignalErrorCode, Closing } from '@coffre/core/protocol';
import { metricsRegistry } from '@coffre/server-kit';
import type { SignalIo } from './relay';

/** A room id is 43 base64url characters; Socket.IO's own rooms (socket ids, member rooms) are not. */
const ROOM_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * What an operator watches on a signal server: sockets and rooms on this process, signals
 * relayed, refusals by code and disconnections by reason. Counts only; no room or peer id.
 */
export class SignalMetrics {
  readonly registry = metricsRegistry('coffre_signal_');
  readonly relayed = new Counter({
    name: 'coffre_signal_relayed_total',
    help: 'Signals handed to a member of the sender’s room.',
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'coffre_signal_refusals_total',
    help: 'join and signal requests refused, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly dismissed = new Counter({
    name: 'coffre_signal_dismissals_total',
    help: 'Sockets the server disconnected, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(io: SignalIo) {
    new Gauge({
      name: 'coffre_signal_sockets',
      help: 'Sockets connected to this process.',
      registers: [this.registry],
      collect() {
        this.set(io.engine.clientsCount);
      },
    });
    new Gauge({
      name: 'coffre_signal_rooms',
      help: 'Rooms with at least one member on this process.',
      registers: [this.registry],
      collect() {
        let rooms = 0;
        for (const name of io.sockets.adapter.rooms.keys()) if (ROOM_ID.test(name)) rooms++;
        this.set(rooms);
      },
    });
  }

  refusal(code: SignalErrorCode): void {
    this.refused.inc({ code });
  }

  dismissal(reason: Closing['reason']): void {
    this.dismissed.inc({ reason });
  }
}
