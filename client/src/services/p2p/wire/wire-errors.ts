import type { PeerErrorCode } from '@coffre/core/protocol/peer-frames';

export type TransferFailure = PeerErrorCode | 'stalled' | 'closed';

/**
 * Why a direct transfer ended early. `message` is written to be shown; `byPeer` says the other
 * side reported it (its own words are quoted, never trusted for anything else).
 */
export class PeerTransferError extends Error {
  override name = 'PeerTransferError';
  constructor(
    readonly code: TransferFailure,
    message: string,
    readonly byPeer = false,
  ) {
    super(message);
  }
}
