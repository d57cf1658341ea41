// A quota refusal reads the same whichever side words it: the storage server's error message and
// the client's catalogue write the figures through one function of core/format.
import { describe, expect, it } from 'vitest';
import type { ErrorDetails } from '@coffre/core/protocol';
import { apiError } from '../../client/src/services/platform/errors';
import { say } from '../../client/src/ui/lib/messages';
import { storageRefusal, transferRefusal } from '../../storage-server/src/services/quota-messages';

const GB = 1e9;

/** The client's sentence for a refusal the server sent with these figures and its own message. */
function clientSays(status: 507 | 429, details: ErrorDetails, serverSaid: string): string {
  const code = status === 507 ? 'quota_exceeded' : 'transfer_quota_exceeded';
  return say(apiError(status, code, serverSaid, details));
}

describe('a quota refusal', () => {
  it('says a storage refusal in the same words on the server and in the client', () => {
    const cases: [Required<Pick<ErrorDetails, 'needed'>> & ErrorDetails, string][] = [
      [
        { needed: 1_234_567_890, used: 49 * GB, quota: 50 * GB },
        'Not enough storage: this upload needs 1.23 GB and 1.00 GB of your 50 GB are free.',
      ],
      [
        { needed: 5_001_234, used: 11e6, quota: 12e6 },
        'Not enough storage: this upload needs 5.00 MB and 1.00 MB of your 12 MB are free.',
      ],
      [
        { needed: 3e12, used: 2.5e12, quota: 2.5e12 },
        'Not enough storage: this upload needs 3.00 TB and 0.00 TB of your 2.50 TB are free.',
      ],
      [
        { needed: 700, used: 600, quota: 999 },
        'Not enough storage: this upload needs 700 bytes and 399 bytes of your 999 bytes are free.',
      ],
    ];
    for (const [details, sentence] of cases) {
      const serverSaid = storageRefusal(details);
      expect(serverSaid).toBe(sentence);
      expect(clientSays(507, details, 'the server’s words, unused')).toBe(serverSaid);
    }
  });

  it('says a transfer refusal in the same words on the server and in the client', () => {
    const cases: [Required<Pick<ErrorDetails, 'resetsAt'>> & ErrorDetails, string][] = [
      [
        { used: 20 * GB, quota: 20 * GB, resetsAt: Date.UTC(2026, 11, 1) },
        'Monthly transfer used up: 20 GB of 20 GB. It resets on 1 December 2026.',
      ],
      [
        { used: 1_500_000, quota: 1e6, resetsAt: Date.UTC(2027, 0, 1) },
        'Monthly transfer used up: 1.50 MB of 1 MB. It resets on 1 January 2027.',
      ],
    ];
    for (const [details, sentence] of cases) {
      const serverSaid = transferRefusal(details);
      expect(serverSaid).toBe(sentence);
      expect(clientSays(429, details, 'the server’s words, unused')).toBe(serverSaid);
    }
  });
});
