// What a person is told when a direct transfer stops, in words for their side of it. The
// transport's own errors say what happened on the wire; these say what to do next.
import { PairingError } from '../wire/introduction';
import { SignalingError } from '../wire/signaling';
import { PeerTransferError } from '../wire/wire-errors';

export type DirectRole = 'sender' | 'receiver';

const RESUMES = 'What already arrived is kept: a new code continues from there.';

export function directError(error: unknown, role: DirectRole): Error {
  const other = role === 'sender' ? 'The other device' : 'The sending device';
  let message: string;
  if (error instanceof PeerTransferError) {
    switch (error.code) {
      case 'closed':
        message = `${other} went away before the end. ${RESUMES}`;
        break;
      case 'stalled':
        message = `${other} stopped answering. ${RESUMES}`;
        break;
      case 'cancelled':
        message = error.byPeer ? `${other} cancelled. ${RESUMES}` : error.message;
        break;
      default:
        message = error.message;
    }
  } else if (error instanceof PairingError) {
    message =
      role === 'sender' && error.message.startsWith('The pairing failed')
        ? 'The other device typed a wrong code (or the pairing was tampered with). Make a new code and try again.'
        : error.message;
  } else if (error instanceof SignalingError) {
    message = 'The service that introduces the two devices cannot be reached. Try again later.';
  } else if (isConnectionFailure(error)) {
    message =
      'No direct connection could be made to the other device (a firewall or a strict network may block it).';
  } else {
    return error instanceof Error ? error : new Error('The transfer stopped.');
  }
  const readable = new Error(message, { cause: error });
  readable.name = 'DirectTransferError';
  return readable;
}

/** simple-peer's failures carry an `ERR_…` code; our own connect timeout says so in words. */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (
    (typeof code === 'string' && code.startsWith('ERR_')) ||
    error.message.startsWith('No direct connection')
  );
}
