import type { TransferSnapshot } from '../../state/app/types';
import { formatBytes } from './format';

/** Where a download's bytes came from, once peers gave any; '' otherwise (the server alone). */
export function transferSources(t: TransferSnapshot): string {
  if (t.kind !== 'download' || t.fromPeers === 0) return '';
  return `${formatBytes(t.fromPeers)} from peers · ${formatBytes(t.fromServer)} from the server`;
}
