// What the app tells a person, as data: a key of the message catalogue with its parameters, or a
// typed failure from services (a thrown one, or one kept as a value). state/ and ui/ hold these;
// only the catalogue (ui/lib/messages.ts) turns them into words, so a translation is one file.
import type { FailureValue, ServiceFailure } from '../../services';

export type { FailureValue, ServiceFailure };

/** Each message's parameters; null for a message without any. */
export interface MessageParams {
  'transfer.ended': {
    kind: 'upload' | 'download';
    name: string;
    state: 'done' | 'failed' | 'cancelled';
  };
  /** A download the transfer quota paused, and the refusal (null if none was kept). */
  'transfer.paused': { name: string; reason: FailureValue | null };
  'upload.paused': { name: string };
  'upload.waiting-network': { name: string };
  'upload.uploading': { name: string };
  'session.wrong-email-or-password': null;
  'session.email-may-have-account': null;
  'session.wrong-recovery-key': null;
  'session.wrong-current-password': null;
  'session.password-too-short': { min: number };
  'session.passwords-differ': null;
  'session.new-passwords-differ': null;
  'session.password-changed': null;
  'drive.moved': { name: string };
  'drive.trashed': { name: string };
  'drive.restored': { name: string };
  'drive.purged': { name: string };
  'drive.bin-emptied': null;
  'drive.drop-unreadable': { error: ServiceFailure };
  'drive.no-room': { name: string };
  'drive.name-empty': null;
  'drive.name-slash': null;
  /** Entries of a listing that failed verification and are not shown: a folder, a link's, the bin. */
  'listing.hidden': { count: number };
  'action.undo': null;
  'action.see-plans': null;
  'shared.not-kept': null;
  'shared.queued': { count: number };
  'shared.queue-failed': { error: ServiceFailure };
  'shared.waiting': { count: number };
  'links.updated': { name: string };
  'links.revoked': { name: string };
  'links.expiry-missing': null;
  'links.expiry-past': null;
  'links.limit-invalid': null;
  'link.enter-password': null;
  'link.wrong-password': null;
  'copy.done': { what: string };
  'copy.blocked': { what: string };
  'receive.looking': null;
  'receive.receiving': { name: string };
  'receive.stopped': { error: ServiceFailure };
  'receive.not-saved': null;
  'receive.saved': { name: string };
  'receive.discarded': { name: string };
  'send.code-ready': { code: string };
  'send.sending': { name: string };
  'send.sent': { name: string };
  'send.stopped': { error: ServiceFailure };
  'send.link-created': null;
}

export type MessageKey = keyof MessageParams;

export type Message = {
  [K in MessageKey]: MessageParams[K] extends null
    ? { key: K }
    : { key: K; params: MessageParams[K] };
}[MessageKey];

/** What a person is shown: a message, or a failure the catalogue words. */
export type Shown = Message | FailureValue;
