// Why a direct transfer stopped, in terms of what the person on this side can do next (ui/ words
// it). The transport's own errors say what happened on the wire; these say what to do next.
import type { DirectFailure, DirectRole } from '../../contract';
import { DirectTransferError } from '../../platform/errors';
import { PairingError } from '../wire/introduction';
import { NoConnectionError } from '../wire/peer';
import { SignalingError } from '../wire/signaling';
import { PeerTransferError } from '../wire/wire-errors';

export function directError(error: unknown, role: DirectRole): unknown {
  const failure = directFailure(error, role);
  return failure === null ? error : new DirectTransferError(role, failure, error);
}

/** null: not a transport failure; the error goes up as it is. */
function directFailure(error: unknown, role: DirectRole): DirectFailure | null {
  if (error instanceof PeerTransferError) {
    switch (error.code) {
      case 'closed':
        return { reason: 'went-away' };
      case 'stalled':
        return { reason: 'stopped-answering' };
      case 'cancelled':
        return error.byPeer ? { reason: 'peer-cancelled' } : transport(error);
      default:
        return transport(error);
    }
  }
  if (error instanceof PairingError)
    return role === 'sender' && error.mismatch ? { reason: 'wrong-code' } : transport(error);
  if (error instanceof SignalingError) return { reason: 'no-signal-server' };
  if (error instanceof NoConnectionError || isSimplePeerFailure(error))
    return { reason: 'no-connection' };
  return error instanceof Error ? null : { reason: 'stopped' };
}

function transport(error: Error): DirectFailure {
  return { reason: 'transport', detail: error.message };
}

/** simple-peer's failures carry an `ERR_…` code. */
function isSimplePeerFailure(error: unknown): boolean {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_');
}
