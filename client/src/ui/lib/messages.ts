// The message catalogue: the sentences the app tells a person, from a key and its parameters
// (state/app/messages.ts) or from a typed failure of the services, thrown or kept as a value.
// Components render both through `say`, so these words live here only and a translation is this
// file. A quota refusal's figures are written by core/format, as the storage server writes them.
import { figuresIn, isolatedName, quotaDay } from '@coffre/core/format';
import type {
  FailureValue,
  Message,
  MessageKey,
  MessageParams,
  Shown,
} from '../../state/app/messages';

type FailureOf<K extends FailureValue['kind']> = Extract<FailureValue, { kind: K }>;
type Refusal = FailureOf<'invalid'>['refusal'];
type DirectFailure = FailureOf<'direct'>['failure'];

/** What a person reads for this message or failure. */
export function say(shown: Shown): string {
  return 'key' in shown ? render(shown) : describe(shown);
}

export function render(message: Message): string {
  const words = MESSAGES[message.key] as (params: unknown) => string;
  return words('params' in message ? withShownName(message.params) : null);
}

/** A name among words is shown neutralised and isolated (format.md §6.1), in every message. */
function withShownName<P>(params: P): P {
  const { name } = (params ?? {}) as { name?: unknown };
  return typeof name === 'string' ? ({ ...params, name: isolatedName(name) } as P) : params;
}

export function describe(failure: FailureValue): string {
  switch (failure.kind) {
    case 'session-refused':
    case 'forbidden':
    case 'not-found':
    case 'rate-limited':
    case 'server':
      return failure.said ?? answered(failure.status);
    case 'quota':
      return quotaRefusal(failure) ?? failure.said ?? answered(failure.status);
    case 'bad-answer':
      return failure.reason === 'malformed'
        ? 'The server sent an answer this app does not understand.'
        : 'The server sent more data than expected.';
    case 'network':
      return "Can't reach the server. Check your connection and try again.";
    case 'integrity':
      return 'integrity check failed';
    case 'weak-kdf':
      return 'The server asked for password settings weaker than this app accepts.';
    case 'damaged-account':
      return 'The server sent damaged account keys. Nothing more was sent; please contact the operator.';
    case 'invalid':
      return refusal(failure.refusal);
    case 'link':
      return LINK_FAILURES[failure.reason];
    case 'direct':
      return directFailure(failure.failure, failure.role);
    case 'browser':
      return BROWSER_FAILURES[failure.reason];
    case 'cancelled':
      return 'Cancelled.';
    case 'unexpected':
      return failure.message || 'Something went wrong.';
  }
}

const answered = (status: number) => `The server answered ${status}.`;

const passwordTooShort = (min: number) => `Choose a password of at least ${min} characters.`;

const sharedFiles = (count: number) => (count === 1 ? '1 shared file' : `${count} shared files`);

/** Decimal units, as browsers and disks report space: "105 MB", "1.2 GB". */
function deviceSpace(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

const MESSAGES: { [K in MessageKey]: (params: MessageParams[K]) => string } = {
  'transfer.ended': ({ kind, name, state }) =>
    `${kind === 'upload' ? 'Upload' : 'Download'} of ${name} ${ENDINGS[state]}.`,
  'transfer.paused': ({ name, reason }) =>
    `Download of ${name} paused. ${reason === null ? '' : describe(reason)}`,
  'upload.paused': ({ name }) => `Upload of ${name} paused.`,
  'upload.waiting-network': ({ name }) => `Upload of ${name} is waiting for the network.`,
  'upload.uploading': ({ name }) => `Uploading ${name}.`,
  'session.wrong-email-or-password': () => 'Wrong email or password.',
  'session.email-may-have-account': () =>
    'No account was made: this email may already have one. Log in with its password, or use its recovery key.',
  'session.wrong-recovery-key': () => 'Wrong email or recovery key.',
  'session.wrong-current-password': () => 'The current password is wrong.',
  'session.password-too-short': ({ min }) => passwordTooShort(min),
  'session.passwords-differ': () => "The passwords don't match.",
  'session.new-passwords-differ': () => "The new passwords don't match.",
  'session.password-changed': () => 'Password changed. Other devices will need to log in again.',
  'drive.moved': ({ name }) => `Moved “${name}”.`,
  'drive.trashed': ({ name }) => `“${name}” moved to the rubbish bin.`,
  'drive.restored': ({ name }) => `“${name}” restored.`,
  'drive.purged': ({ name }) => `“${name}” deleted forever.`,
  'drive.bin-emptied': () => 'The rubbish bin is empty.',
  'drive.drop-unreadable': ({ error }) => `Could not read the dropped items: ${describe(error)}`,
  'drive.no-room': ({ name }) => `Not enough storage for ${name}.`,
  'drive.name-empty': () => 'Enter a name.',
  'drive.name-slash': () => 'Names cannot contain / or \\.',
  'listing.hidden': ({ count }) =>
    count === 1
      ? 'One item failed the integrity check and is hidden.'
      : `${count} items failed the integrity check and are hidden.`,
  'action.undo': () => 'Undo',
  'action.see-plans': () => 'See plans',
  'shared.not-kept': () => 'Files shared to Coffre could not be kept on this device.',
  'shared.queued': ({ count }) => `${sharedFiles(count)} added to your uploads.`,
  'shared.queue-failed': ({ error }) => `Shared files could not be queued: ${describe(error)}`,
  'shared.waiting': ({ count }) => `${sharedFiles(count)} will be uploaded after you log in.`,
  'links.updated': ({ name }) => `Link to “${name}” updated.`,
  'links.revoked': ({ name }) => `Link to “${name}” revoked. It no longer opens.`,
  'links.expiry-missing': () => 'Choose the date the link stops working.',
  'links.expiry-past': () => 'Choose a date from today on.',
  'links.limit-invalid': () => 'Enter a whole number of downloads from 1, or leave it empty.',
  'link.enter-password': () => 'Enter the password.',
  'link.wrong-password': () => 'Wrong password',
  'copy.done': ({ what }) => `${what} copied to the clipboard.`,
  'copy.blocked': ({ what }) =>
    `Copying was blocked: select the ${what.toLowerCase()} and copy it by hand.`,
  'receive.looking': () => 'Looking for the device with that code.',
  'receive.receiving': ({ name }) => `Receiving ${name}.`,
  'receive.stopped': ({ error }) => `Receiving stopped: ${describe(error)}`,
  'receive.not-saved': () => 'The file could not be saved. It stays here: try Save again.',
  'receive.saved': ({ name }) => `${name} was saved.`,
  'receive.discarded': ({ name }) => `${name} was removed from this device.`,
  'send.code-ready': ({ code }) => `Code ready: ${code}. Waiting for the other device.`,
  'send.sending': ({ name }) => `Sending ${name}.`,
  'send.sent': ({ name }) => `${name} was sent to the other device.`,
  'send.stopped': ({ error }) => `Sending stopped: ${describe(error)}`,
  'send.link-created': () => 'Link created.',
};

const ENDINGS = { done: 'finished', failed: 'failed', cancelled: 'cancelled' } as const;

const REFUSALS: { [K in Refusal['key']]: (refusal: Extract<Refusal, { key: K }>) => string } = {
  'not-logged-in': () => 'You are not logged in.',
  'bad-email': ({ reason }) => EMAIL_REFUSALS[reason],
  'password-too-short': ({ min }) => passwordTooShort(min),
  'wrong-current-password': () => 'The current password is not correct.',
  'root-rename': () => 'The root folder cannot be renamed.',
  'root-move': () => 'The root folder cannot be moved.',
  'root-delete': () => 'The root folder cannot be deleted.',
  'root-share': () => 'The root folder cannot be shared.',
  'into-itself': () => 'A folder cannot be moved into itself.',
  'not-a-folder': () => 'That item is not a folder.',
  'not-a-file': () => 'That item is not a file.',
  'too-deep': () => 'That folder is too deep.',
  'preview-too-large': ({ maxBytes }) =>
    `Previews are limited to files of ${maxBytes / (1024 * 1024)} MiB. Download the file instead.`,
  'link-gone': () => 'This link no longer exists.',
  'link-password-empty': () => 'A link password cannot be empty.',
  'link-expiry-past': () => 'The expiry date must be in the future.',
  'link-limit': () => 'The download limit must be a whole number of at least 1.',
  'link-not-open': () => 'Open the link first.',
  'not-in-link': () => 'That item is not in this link.',
  'link-first-chunk': () => 'A link download starts at its first chunk.',
  'direct-unavailable': ({ role }) =>
    role === 'sender'
      ? 'Sending to a device is not set up here.'
      : 'Receiving from a device is not set up here.',
  'bad-code': ({ detail }) => detail ?? 'Not a code.',
  'received-discarded': () => 'The received file was discarded.',
  'received-gone': () => 'This file is no longer on this device.',
  'received-incomplete': () => 'This file has not been received in full yet.',
  'received-damaged': () => 'A stored part of the file is damaged. Receive it again.',
  'received-part-missing': ({ part }) =>
    `Part ${part} of the received file is missing on this device.`,
  'not-queued': () => 'This file is no longer in the upload queue.',
  'upload-failed': ({ detail }) => (detail === null ? 'The upload failed.' : describe(detail)),
  'upload-cancelled': () => 'The upload was cancelled.',
  'not-sealed': ({ detail }) =>
    detail === null ? 'This file could not be encrypted.' : describe(detail),
  'file-too-large': () => 'This file is larger than the largest file Coffre stores.',
  'already-queued': ({ name }) =>
    `“${name}” is already waiting to upload to this folder, so it was not added again.`,
  'device-too-small': ({ name, needed, free, quota }) =>
    `Not enough space on this device to queue “${name}”: it needs ${deviceSpace(needed)} and ` +
    `${deviceSpace(free)} of the ${deviceSpace(quota)} this browser allows Coffre are free. ` +
    'Free some space and add it again.',
  'device-full-while-sealing': ({ name }) =>
    `This device ran out of storage space while encrypting “${name}”. Nothing of it was kept: ` +
    'free some space and add it again.',
  'outbox.interrupted': () =>
    'Encryption was interrupted (the app closed before the file was fully stored). Add the file again.',
  'folders-need-network': () =>
    'Folders can be uploaded only while online, since their folders are made on the server ' +
    'first. Add the files on their own, or try again when connected.',
  'some-not-queued': ({ failed, total, first }) =>
    `${failed} of ${total} files could not be queued. The first: ${describe(first)}`,
  'chunks-lost': () =>
    'Its encrypted copy on this device is gone (the browser cleared site data). Add the file again.',
};

const EMAIL_REFUSALS: Record<Extract<Refusal, { key: 'bad-email' }>['reason'], string> = {
  'not-an-address': 'Enter an email address such as name@example.org.',
  'too-long': 'This email address is too long.',
  invisible:
    'This email address contains a space or an invisible character (such as a zero-width space). Type it again by hand.',
  'mixed-script':
    'This email address mixes alphabets within one part, such as a Cyrillic “а” among Latin letters, so it could pass for another address. Type it in one alphabet.',
};

function refusal(reason: Refusal): string {
  const words = REFUSALS[reason.key] as (refusal: Refusal) => string;
  return words(withShownName(reason));
}

const LINK_FAILURES: Record<FailureOf<'link'>['reason'], string> = {
  malformed: 'This link is incomplete or damaged. Check that it was copied in full.',
  'not-found': 'This link does not exist, has expired or was revoked.',
  'wrong-key': 'This link is wrong or damaged.',
  'wrong-password': 'Wrong password.',
};

const BROWSER_FAILURES: Record<FailureOf<'browser'>['reason'], string> = {
  'storage-full': 'This device has run out of storage space.',
  'crypto-engine': 'The encryption engine failed to start. Reload the page and try again.',
  'downloads-need-reload':
    'Downloads need the app to be fully loaded. Reload the page and try again.',
  'download-refused': 'The browser did not accept the download. Reload and try again.',
  'download-not-started': 'The browser did not start the download.',
};

const RESUMES = 'What already arrived is kept: a new code continues from there.';

function directFailure(failure: DirectFailure, role: FailureOf<'direct'>['role']): string {
  const other = role === 'sender' ? 'The other device' : 'The sending device';
  switch (failure.reason) {
    case 'went-away':
      return `${other} went away before the end. ${RESUMES}`;
    case 'stopped-answering':
      return `${other} stopped answering. ${RESUMES}`;
    case 'peer-cancelled':
      return `${other} cancelled. ${RESUMES}`;
    case 'wrong-code':
      return 'The other device typed a wrong code (or the pairing was tampered with). Make a new code and try again.';
    case 'no-signal-server':
      return 'The service that introduces the two devices cannot be reached. Try again later.';
    case 'no-connection':
      return 'No direct connection could be made to the other device (a firewall or a strict network may block it).';
    case 'stopped':
      return 'The transfer stopped.';
    case 'transport':
      return failure.detail;
  }
}

/** The server's refusal in the server's words, from its figures; null without figures to use. */
function quotaRefusal({ quota, figures }: FailureOf<'quota'>): string | null {
  if (figures === null) return null;
  const figure = figuresIn(figures.quota);
  if (quota === 'storage') {
    if (figures.needed === undefined) return null;
    const free = Math.max(0, figures.quota - figures.used);
    return (
      `Not enough storage: this upload needs ${figure(figures.needed)} and ` +
      `${figure(free)} of your ${figure(figures.quota, true)} are free.`
    );
  }
  if (figures.resetsAt === undefined) return null;
  return (
    `Monthly transfer used up: ${figure(figures.used, true)} of ${figure(figures.quota, true)}. ` +
    `It resets on ${quotaDay(figures.resetsAt)}.`
  );
}
