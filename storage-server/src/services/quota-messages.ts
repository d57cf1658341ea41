import { figuresIn, quotaDay } from '@coffre/core/format';
import type { ErrorDetails } from '@coffre/core/protocol';

// The sentences of a quota refusal, with its figures as core/format writes them for the client's
// catalogue too.

/** One figure in its own unit: "50 GB", "1.20 GB", "512 bytes". */
export function formatBytes(bytes: number): string {
  return figuresIn(bytes)(bytes, true);
}

export function storageRefusal(details: Required<Pick<ErrorDetails, 'needed'>> & ErrorDetails) {
  const figure = figuresIn(details.quota);
  const free = Math.max(0, details.quota - details.used);
  return (
    `Not enough storage: this upload needs ${figure(details.needed)} and ` +
    `${figure(free)} of your ${figure(details.quota, true)} are free.`
  );
}

export function transferRefusal(details: Required<Pick<ErrorDetails, 'resetsAt'>> & ErrorDetails) {
  const figure = figuresIn(details.quota);
  return (
    `Monthly transfer used up: ${figure(details.used, true)} of ${figure(details.quota, true)}. ` +
    `It resets on ${quotaDay(details.resetsAt)}.`
  );
}
