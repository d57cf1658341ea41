// The message catalogue (client/src/ui/lib/messages.ts): every message renders, every typed
// failure reads as the app has always said it, and a quota refusal says its own figures.
import { describe, expect, it } from 'vitest';
import type { Refusal } from '../../client/src/services/contract';
import {
  BadAnswerError,
  BrowserError,
  CancelledError,
  DamagedAccountError,
  DirectTransferError,
  ForbiddenError,
  IntegrityFailedError,
  InvalidRequestError,
  LinkError,
  NetworkError,
  NotFoundError,
  QuotaRefusedError,
  RateLimitedError,
  ServerError,
  SessionRefusedError,
  UnexpectedError,
  WeakKdfRefusedError,
  apiError,
  asServiceFailure,
  failureValue,
  type ServiceFailure,
} from '../../client/src/services/platform/errors';
import type { Message, MessageKey, MessageParams } from '../../client/src/state/app/messages';
import { describe as words, render, say } from '../../client/src/ui/lib/messages';

const MB = 1_000_000;

/** The words of a sentence, without the marks that isolate a name among them (format.md §6.1). */
const plain = (text: string) => text.replace(/[\u2068\u2069]/g, '');

/** One set of parameters per message: the type makes a missing key a compile error. */
const PARAMS: { [K in MessageKey]: MessageParams[K] } = {
  'transfer.ended': { kind: 'upload', name: 'a.txt', state: 'done' },
  'transfer.paused': { name: 'a.txt', reason: new NetworkError() },
  'upload.paused': { name: 'a.txt' },
  'upload.waiting-network': { name: 'a.txt' },
  'upload.uploading': { name: 'a.txt' },
  'session.wrong-email-or-password': null,
  'session.email-may-have-account': null,
  'session.wrong-recovery-key': null,
  'session.wrong-current-password': null,
  'session.password-too-short': { min: 8 },
  'session.passwords-differ': null,
  'session.new-passwords-differ': null,
  'session.password-changed': null,
  'drive.moved': { name: 'a.txt' },
  'drive.trashed': { name: 'a.txt' },
  'drive.restored': { name: 'a.txt' },
  'drive.purged': { name: 'a.txt' },
  'drive.bin-emptied': null,
  'drive.drop-unreadable': { error: new NetworkError() },
  'drive.no-room': { name: 'a.txt' },
  'drive.name-empty': null,
  'drive.name-slash': null,
  'listing.hidden': { count: 2 },
  'action.undo': null,
  'action.see-plans': null,
  'shared.not-kept': null,
  'shared.queued': { count: 2 },
  'shared.queue-failed': { error: new NetworkError() },
  'shared.waiting': { count: 1 },
  'links.updated': { name: 'a.txt' },
  'links.revoked': { name: 'a.txt' },
  'links.expiry-missing': null,
  'links.expiry-past': null,
  'links.limit-invalid': null,
  'link.enter-password': null,
  'link.wrong-password': null,
  'copy.done': { what: 'Link' },
  'copy.blocked': { what: 'Link' },
  'receive.looking': null,
  'receive.receiving': { name: 'a.txt' },
  'receive.stopped': { error: new NetworkError() },
  'receive.not-saved': null,
  'receive.saved': { name: 'a.txt' },
  'receive.discarded': { name: 'a.txt' },
  'send.code-ready': { code: '4711-copper-lantern-meadow' },
  'send.sending': { name: 'a.txt' },
  'send.sent': { name: 'a.txt' },
  'send.stopped': { error: new NetworkError() },
  'send.link-created': null,
};

/** One refusal of each key. */
const REFUSALS: { [K in Refusal['key']]: Extract<Refusal, { key: K }> } = {
  'not-logged-in': { key: 'not-logged-in' },
  'bad-email': { key: 'bad-email', reason: 'mixed-script' },
  'password-too-short': { key: 'password-too-short', min: 8 },
  'wrong-current-password': { key: 'wrong-current-password' },
  'root-rename': { key: 'root-rename' },
  'root-move': { key: 'root-move' },
  'root-delete': { key: 'root-delete' },
  'root-share': { key: 'root-share' },
  'into-itself': { key: 'into-itself' },
  'not-a-folder': { key: 'not-a-folder' },
  'not-a-file': { key: 'not-a-file' },
  'too-deep': { key: 'too-deep' },
  'preview-too-large': { key: 'preview-too-large', maxBytes: 32 * 1024 * 1024 },
  'link-gone': { key: 'link-gone' },
  'link-password-empty': { key: 'link-password-empty' },
  'link-expiry-past': { key: 'link-expiry-past' },
  'link-limit': { key: 'link-limit' },
  'link-not-open': { key: 'link-not-open' },
  'not-in-link': { key: 'not-in-link' },
  'link-first-chunk': { key: 'link-first-chunk' },
  'direct-unavailable': { key: 'direct-unavailable', role: 'sender' },
  'bad-code': { key: 'bad-code', detail: null },
  'received-discarded': { key: 'received-discarded' },
  'received-gone': { key: 'received-gone' },
  'received-incomplete': { key: 'received-incomplete' },
  'received-damaged': { key: 'received-damaged' },
  'received-part-missing': { key: 'received-part-missing', part: 3 },
  'not-queued': { key: 'not-queued' },
  'upload-failed': { key: 'upload-failed', detail: null },
  'upload-cancelled': { key: 'upload-cancelled' },
  'not-sealed': { key: 'not-sealed', detail: null },
  'file-too-large': { key: 'file-too-large' },
  'already-queued': { key: 'already-queued', name: 'a.txt' },
  'device-too-small': { key: 'device-too-small', name: 'a.txt', needed: 3, free: 2, quota: 9 },
  'device-full-while-sealing': { key: 'device-full-while-sealing', name: 'a.txt' },
  'outbox.interrupted': { key: 'outbox.interrupted' },
  'folders-need-network': { key: 'folders-need-network' },
  'some-not-queued': { key: 'some-not-queued', failed: 2, total: 3, first: new NetworkError() },
  'chunks-lost': { key: 'chunks-lost' },
};

/** One failure of each kind and more, with the sentence the app has always said for it. */
const said = 'invalid credentials';
const FAILURES: [ServiceFailure, string][] = [
  [new SessionRefusedError(401, 'unauthorized', said), said],
  [new ForbiddenError(403, 'forbidden', said), said],
  [new NotFoundError(404, 'not_found', 'not found'), 'not found'],
  [new RateLimitedError(429, 'rate_limited', 'too many requests'), 'too many requests'],
  [new ServerError(409, 'conflict', 'a name is taken'), 'a name is taken'],
  [new ServerError(502, 'http_502', null), 'The server answered 502.'],
  [
    new QuotaRefusedError(507, 'quota_exceeded', null, { needed: 2 * MB, used: 0, quota: MB }),
    'Not enough storage: this upload needs 2.00 MB and 1.00 MB of your 1 MB are free.',
  ],
  [new BadAnswerError(200, 'malformed'), 'The server sent an answer this app does not understand.'],
  [new BadAnswerError(200, 'too-large'), 'The server sent more data than expected.'],
  [new NetworkError(), "Can't reach the server. Check your connection and try again."],
  [new IntegrityFailedError(), 'integrity check failed'],
  [
    new WeakKdfRefusedError(),
    'The server asked for password settings weaker than this app accepts.',
  ],
  [
    new DamagedAccountError(),
    'The server sent damaged account keys. Nothing more was sent; please contact the operator.',
  ],
  [new InvalidRequestError({ key: 'root-rename' }), 'The root folder cannot be renamed.'],
  [
    new InvalidRequestError({ key: 'password-too-short', min: 8 }),
    'Choose a password of at least 8 characters.',
  ],
  [
    new InvalidRequestError({ key: 'preview-too-large', maxBytes: 32 * 1024 * 1024 }),
    'Previews are limited to files of 32 MiB. Download the file instead.',
  ],
  [new LinkError('not-found'), 'This link does not exist, has expired or was revoked.'],
  [
    new DirectTransferError('receiver', { reason: 'went-away' }, null),
    'The sending device went away before the end. What already arrived is kept: a new code continues from there.',
  ],
  [
    new DirectTransferError('sender', { reason: 'wrong-code' }, null),
    'The other device typed a wrong code (or the pairing was tampered with). Make a new code and try again.',
  ],
  [
    new DirectTransferError('sender', { reason: 'transport', detail: 'Chunk 2 failed.' }, null),
    'Chunk 2 failed.',
  ],
  [new BrowserError('storage-full'), 'This device has run out of storage space.'],
  [
    new BrowserError('crypto-engine'),
    'The encryption engine failed to start. Reload the page and try again.',
  ],
  [new CancelledError(), 'Cancelled.'],
  [new UnexpectedError('name too long'), 'name too long'],
  [new UnexpectedError(''), 'Something went wrong.'],
];

describe('the message catalogue', () => {
  it('renders every message into words', () => {
    for (const [key, params] of Object.entries(PARAMS)) {
      const message = (params === null ? { key } : { key, params }) as Parameters<typeof render>[0];
      const text = render(message);
      expect(text, key).not.toBe('');
      expect(text, key).not.toMatch(/undefined|null|\[object/);
    }
  });

  it('words every refusal', () => {
    for (const refusal of Object.values(REFUSALS)) {
      const text = words(new InvalidRequestError(refusal));
      expect(text, refusal.key).not.toBe('');
      expect(text, refusal.key).not.toMatch(/undefined|null|\[object/);
    }
  });

  it('says each failure in the words the app has always used', () => {
    const kinds = new Set(FAILURES.map(([failure]) => failure.kind));
    expect([...kinds].sort()).toEqual([
      'bad-answer',
      'browser',
      'cancelled',
      'damaged-account',
      'direct',
      'forbidden',
      'integrity',
      'invalid',
      'link',
      'network',
      'not-found',
      'quota',
      'rate-limited',
      'server',
      'session-refused',
      'unexpected',
      'weak-kdf',
    ]);
    for (const [failure, sentence] of FAILURES) expect(say(failure), failure.kind).toBe(sentence);
  });

  it('says a failure kept as plain data, even cloned into storage, as it says the failure', () => {
    for (const [failure, sentence] of FAILURES) {
      const kept = structuredClone(failureValue(failure));
      expect(kept, failure.kind).not.toBeInstanceOf(Error);
      expect(say(kept), failure.kind).toBe(sentence);
    }
  });

  it('says the upload outbox’s refusals in the words it has always used', () => {
    const name = 'holiday.mov';
    const refusal = (refusal: Refusal) => plain(say(new InvalidRequestError(refusal)));
    expect(refusal({ key: 'file-too-large' })).toBe(
      'This file is larger than the largest file Coffre stores.',
    );
    expect(refusal({ key: 'already-queued', name })).toBe(
      '“holiday.mov” is already waiting to upload to this folder, so it was not added again.',
    );
    expect(
      refusal({
        key: 'device-too-small',
        name,
        needed: 1_234_567_890,
        free: 105_000_000,
        quota: 2_000_000_000,
      }),
    ).toBe(
      'Not enough space on this device to queue “holiday.mov”: it needs 1.23 GB and 105 MB of the 2.00 GB this browser allows Coffre are free. Free some space and add it again.',
    );
    expect(
      refusal({ key: 'device-too-small', name, needed: 16_777_300, free: 999, quota: 12_500 }),
    ).toBe(
      'Not enough space on this device to queue “holiday.mov”: it needs 16.8 MB and 999 bytes of the 12.5 kB this browser allows Coffre are free. Free some space and add it again.',
    );
    expect(refusal({ key: 'device-full-while-sealing', name })).toBe(
      'This device ran out of storage space while encrypting “holiday.mov”. Nothing of it was kept: free some space and add it again.',
    );
    expect(refusal({ key: 'outbox.interrupted' })).toBe(
      'Encryption was interrupted (the app closed before the file was fully stored). Add the file again.',
    );
    expect(refusal({ key: 'folders-need-network' })).toBe(
      'Folders can be uploaded only while online, since their folders are made on the server first. Add the files on their own, or try again when connected.',
    );
    expect(
      refusal({ key: 'some-not-queued', failed: 2, total: 5, first: new NetworkError() }),
    ).toBe(
      "2 of 5 files could not be queued. The first: Can't reach the server. Check your connection and try again.",
    );
    expect(refusal({ key: 'chunks-lost' })).toBe(
      'Its encrypted copy on this device is gone (the browser cleared site data). Add the file again.',
    );
    const why = failureValue(new ServerError(409, 'conflict', 'a name is taken'));
    expect(refusal({ key: 'upload-failed', detail: null })).toBe('The upload failed.');
    expect(refusal({ key: 'upload-failed', detail: why })).toBe('a name is taken');
    expect(refusal({ key: 'not-sealed', detail: why })).toBe('a name is taken');
  });

  it('announces a transfer that waits in the words it has always used', () => {
    const name = 'movie.mkv';
    const reason = failureValue(new RateLimitedError(429, 'rate_limited', 'Slow down.'));
    const announced = (message: Message) => plain(render(message));
    expect(announced({ key: 'transfer.paused', params: { name, reason } })).toBe(
      'Download of movie.mkv paused. Slow down.',
    );
    expect(announced({ key: 'transfer.paused', params: { name, reason: null } })).toBe(
      'Download of movie.mkv paused. ',
    );
    expect(announced({ key: 'upload.paused', params: { name } })).toBe(
      'Upload of movie.mkv paused.',
    );
    expect(announced({ key: 'upload.waiting-network', params: { name } })).toBe(
      'Upload of movie.mkv is waiting for the network.',
    );
    expect(announced({ key: 'upload.uploading', params: { name } })).toBe('Uploading movie.mkv.');
  });

  it('turns what the browser and core throw into typed failures', () => {
    expect(asServiceFailure(new DOMException('full', 'QuotaExceededError'))).toBeInstanceOf(
      BrowserError,
    );
    expect(asServiceFailure(new DOMException('stop', 'AbortError'))).toBeInstanceOf(CancelledError);
    expect(say(asServiceFailure('not an error'))).toBe('Something went wrong.');
    expect(say(asServiceFailure(new TypeError('x is not a function')))).toBe('x is not a function');
  });

  it('says a storage refusal with its figures, in the unit of the quota', () => {
    const refusal = apiError(507, 'quota_exceeded', 'the server’s own words', {
      needed: 5_001_234,
      used: 11 * MB,
      quota: 12 * MB,
    });
    expect(refusal).toBeInstanceOf(QuotaRefusedError);
    expect(say(refusal)).toBe(
      'Not enough storage: this upload needs 5.00 MB and 1.00 MB of your 12 MB are free.',
    );
  });

  it('says a transfer refusal with its figures and the day it resets (UTC)', () => {
    const refusal = apiError(429, 'transfer_quota_exceeded', 'the server’s own words', {
      used: 20 * MB,
      quota: 20 * MB,
      resetsAt: Date.UTC(2026, 11, 1),
    });
    expect(refusal).toMatchObject({ kind: 'quota', quota: 'transfer' });
    expect(say(refusal)).toBe(
      'Monthly transfer used up: 20 MB of 20 MB. It resets on 1 December 2026.',
    );
  });

  it('falls back to the server’s sentence when a refusal carries no figures', () => {
    const refusal = apiError(507, 'quota_exceeded', 'Not enough storage.', null);
    expect(say(refusal)).toBe('Not enough storage.');
  });

  it('maps each status the server answers to its typed failure', () => {
    expect(apiError(401, 'unauthorized', 'not signed in')).toBeInstanceOf(SessionRefusedError);
    expect(apiError(403, 'forbidden', 'invalid credentials')).toBeInstanceOf(ForbiddenError);
    expect(apiError(404, 'not_found', 'not found')).toBeInstanceOf(NotFoundError);
    expect(apiError(429, 'rate_limited', 'too many')).toBeInstanceOf(RateLimitedError);
    expect(apiError(500, 'internal', 'internal error')).toBeInstanceOf(ServerError);
  });
});
