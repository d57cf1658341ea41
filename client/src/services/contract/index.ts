// The boundary between the app's state/ui layers and services/ (all browser I/O, crypto and the
// server API). state/ calls these; nothing above services/ touches fetch, IndexedDB or keys.
import type { EmailRefusal } from '@coffre/core/format';
import type { ErrorDetails } from '@coffre/core/protocol';

export interface SessionInfo {
  userId: string;
  email: string;
}

/** A folder or file after its key and metadata were verified and decrypted. */
export interface DriveNode {
  id: string;
  /** The root folder's parentId is its own id. */
  parentId: string;
  type: 'folder' | 'file';
  name: string;
  /** Plaintext size in bytes (files only). */
  size: number | null;
  mime: string | null;
  /** Last modification time (ms since epoch) as recorded by the uploader, else creation time. */
  mtime: number;
  createdAt: number;
}

/** A plan as configured on the server; quotas in bytes (decimal units, as storage is sold). */
export interface Plan {
  id: string;
  name: string;
  storageQuota: number;
  transferQuota: number;
}

export interface Usage {
  /** Includes open uploads' reservations and files in the bin. */
  storageUsed: number;
  storageQuota: number | null;
  /** Bytes served this calendar month (UTC). */
  transferUsed: number;
  transferQuota: number | null;
  /** When the transfer counter starts again (ms since epoch: the next UTC month's first instant). */
  transferResetsAt: number | null;
  plan: { id: string; name: string } | null;
}

/** What uses the space: one top folder of My files, or the files directly in it. */
export interface SpaceUse {
  /** null: files directly in My files. */
  node: DriveNode | null;
  bytes: number;
}

export interface UsageBreakdown {
  items: SpaceUse[];
  trash: number;
  uploading: number;
}

/** 'paused': the transfer quota is used up; `error` holds the server's refusal. */
export type TransferState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface TransferSnapshot {
  id: string;
  kind: 'upload' | 'download';
  name: string;
  /** Plaintext bytes in all. */
  size: number;
  /** Plaintext bytes done so far. */
  done: number;
  /** Bytes per second over the last few seconds. */
  speed: number;
  state: TransferState;
  /** Set when state is 'failed' or 'paused' (and while an upload is retrying): why. */
  error: FailureValue | null;
  /** Folder the upload goes into, for the drive view to refresh. */
  parentId: string | null;
  /** Uploads only: what a queued or running upload is doing or waiting for. */
  phase: UploadPhase | null;
  /** A failed upload whose encrypted chunks are still on this device: Retry sends it again. */
  canRetry: boolean;
  /** Downloads: sealed bytes received from peers in a share link's room, and from the server. */
  fromPeers: number;
  fromServer: number;
}

/**
 * 'encrypting': sealing into the outbox; 'waiting-network': offline, sent when the network
 * returns; 'retrying': the last attempt failed (`error` says why) and another follows shortly.
 */
export type UploadPhase = 'encrypting' | 'waiting-network' | 'retrying' | 'uploading';

/** Where a transfer stands: what a change moved it from. */
export type TransferStep = Pick<TransferSnapshot, 'state' | 'phase'>;

/**
 * A change of the transfer list, told by the list itself with the transfer as it now is. 'added'
 * comes first for each transfer (`replayed` for those listed before the listener subscribed);
 * 'changed' tells a new state, phase or figures (`was`: its state and phase before); 'finished'
 * that it reached done, failed or cancelled (a failed upload may be retried and change again);
 * 'removed' that it left the list.
 */
export type TransferEvent =
  | { type: 'added'; transfer: TransferSnapshot; replayed: boolean }
  | { type: 'changed'; transfer: TransferSnapshot; was: TransferStep }
  | { type: 'finished'; transfer: TransferSnapshot }
  | { type: 'removed'; id: string };

/** This browser's storage for the app, and how much of it the upload outbox holds. */
export interface DeviceStorage {
  /** Bytes the browser lets this site use, or null when it does not say. */
  quota: number | null;
  usage: number | null;
  /** Ciphertext bytes of the files waiting in the outbox. */
  queued: number;
  queuedFiles: number;
  /** Whether the browser promised not to evict the outbox under storage pressure. */
  persisted: boolean;
}

export interface Services {
  /** Restores a session saved on this device, or null. */
  resume(): Promise<SessionInfo | null>;
  /** Creates the account; returns the recovery key the person must save (shown once). */
  signUp(email: string, password: string): Promise<{ session: SessionInfo; recoveryKey: string }>;
  logIn(email: string, password: string): Promise<SessionInfo>;
  /** Opens the account with the recovery key and sets a new password. */
  recover(email: string, recoveryKey: string, newPassword: string): Promise<SessionInfo>;
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  logOut(): Promise<void>;
  /**
   * Called when the server ends the session on its own (expired, revoked by a password change on
   * another device): the local session is already wiped; show the log-in screen.
   */
  onSessionEnded(listener: () => void): () => void;

  rootId(): string;
  /** Children of a folder, verified; folders first then by name. */
  list(folderId: string): Promise<DriveNode[]>;
  /** Children of `folderId` hidden at its last `list` because they failed verification. */
  unverifiedCount(folderId: string): number;
  /** The chain from the root to this folder (inclusive), for breadcrumbs. */
  path(folderId: string): Promise<DriveNode[]>;
  createFolder(parentId: string, name: string): Promise<DriveNode>;
  rename(nodeId: string, name: string): Promise<void>;
  move(nodeId: string, newParentId: string): Promise<void>;
  trash(nodeId: string): Promise<void>;
  restore(nodeId: string): Promise<void>;
  listTrash(): Promise<DriveNode[]>;
  /** Entries of the bin hidden at its last `listTrash` because they failed verification. */
  unverifiedInTrash(): number;
  usage(): Promise<Usage>;
  /** The plans on offer, as configured on the server. */
  plans(): Promise<Plan[]>;
  /** Space per top folder (verified; unverifiable folders are left out), the bin and open uploads. */
  usageBreakdown(): Promise<UsageBreakdown>;
  /** Deletes an item of the bin for good (with everything under it); its space is freed at once. */
  purge(nodeId: string): Promise<void>;
  emptyTrash(): Promise<void>;
  /** Fresh usage whenever it may have changed: after transfers, on window focus, and every 15 s while visible. */
  onUsage(listener: (usage: Usage) => void): () => void;

  /**
   * Encrypts files into the upload outbox on this device, from where they are sent whenever the
   * network allows (across reloads and restarts). Resolves once every file is durably queued;
   * rejects with a readable error when one could not be (the others stay queued). Files from a
   * folder pick carry `webkitRelativePath`; their folders are created first (online only).
   */
  upload(parentId: string, files: File[]): Promise<void>;
  /** Pauses or resumes one queued upload, or all of them (null). */
  pauseUpload(transferId: string | null): void;
  resumeUpload(transferId: string | null): void;
  /** Sends a failed upload whose chunks are still on this device again. */
  retryUpload(transferId: string): void;
  /** Cancels every upload in the outbox (ended ones are removed from the list). */
  cancelAllUploads(): void;
  /** Whether the browser believes it is online; called on every change. */
  onConnectivity(listener: (online: boolean) => void): () => void;
  deviceStorage(): Promise<DeviceStorage>;
  /** Streams a file to disk; resolves when the browser has the whole file. */
  download(nodeId: string): void;
  cancel(transferId: string): void;
  /** Resumes a download paused by the transfer quota, from the chunk where it stopped. */
  resumeTransfer(transferId: string): void;
  /**
   * Tells every change of the transfer list as it happens, after an 'added' for each transfer
   * listed now; progress alone comes at most a few times a second.
   */
  onTransfers(listener: (event: TransferEvent) => void): () => void;

  createLink(nodeId: string, options: LinkOptions): Promise<SharedLink>;
  /** The account's links, newest first. */
  listLinks(): Promise<SharedLink[]>;
  /** password: string sets or changes it, null removes it, undefined keeps it. */
  updateLink(
    linkId: string,
    changes: { password?: string | null; expiresAt?: number | null; downloadLimit?: number | null },
  ): Promise<SharedLink>;
  revokeLink(linkId: string): Promise<void>;
  /** For the link page (no account needed). Validates the fragment before any request. */
  openLink(linkId: string, fragment: string): Promise<LinkSession>;

  /** Sending a file straight to another device, and receiving one (issue 5). */
  direct: DirectTransfers;
}

/** What "Send to a device" sends: a file of the drive, or a file waiting in the upload queue. */
export type SendSource =
  | { kind: 'file'; nodeId: string; name: string; size: number }
  | { kind: 'upload'; transferId: string; name: string; size: number };

/**
 * 'ready': the signal server was reached (a sender's code can now be shown); 'paired': both
 * devices hold the same code; 'connected': the direct channel is open.
 */
export type DirectStep = 'ready' | 'paired' | 'connected';

/** A file received (or being received) from another device, kept on this one until saved. */
export interface ReceivedItem {
  id: string;
  name: string;
  size: number;
  /** Plaintext bytes already on this device. */
  held: number;
  complete: boolean;
}

export interface DirectTransfers {
  /** Whether a signal server is deployed for this app (otherwise no direct transfer is offered). */
  available(): Promise<boolean>;
  /** A fresh pairing code, `1234-word-word-word`. */
  newCode(): Promise<string>;
  /** The canonical code; refuses a wrong one ('bad-code') before any request. */
  checkCode(text: string): Promise<string>;
  /**
   * Waits for the device that types `code`, then sends it the file's sealed chunks and manifest.
   * Rejects with a DirectTransferError saying why (wrong code, the other device left, no
   * connection).
   */
  send(
    source: SendSource,
    code: string,
    events: { onStep(step: DirectStep): void; onProgress(bytes: number): void },
    signal: AbortSignal,
  ): Promise<void>;
  /** A share link to the file instead; a queued file first finishes uploading. */
  linkInstead(source: SendSource, onWaiting: (bytes: number) => void): Promise<SharedLink>;
  /** Receives into this device's store; chunks an earlier attempt stored are not sent again. */
  receive(
    code: string,
    events: {
      onStep(step: DirectStep): void;
      onOffer(item: ReceivedItem): void;
      onProgress(bytes: number): void;
    },
    signal: AbortSignal,
  ): Promise<ReceivedItem>;
  /** Files received in full or in part and not saved yet, newest first. */
  received(): Promise<ReceivedItem[]>;
  /** Streams a complete received file to disk; deletes it here once saved. Resolves true then. */
  save(id: string): Promise<boolean>;
  /** Deletes a received file (complete or partial) from this device. */
  discard(id: string): Promise<void>;
}

export interface LinkOptions {
  password: string | null;
  /** ms since epoch, compared with the server's clock. */
  expiresAt: number | null;
  downloadLimit: number | null;
}

export interface SharedLink {
  linkId: string;
  nodeId: string;
  name: string;
  type: 'file' | 'folder';
  /** The full link, key included: https://<host>/s/<linkId>#<linkKey>. */
  url: string;
  hasPassword: boolean;
  expiresAt: number | null;
  downloadLimit: number | null;
  downloads: number;
  createdAt: number;
}

/** An opened share link, as the link page uses it. */
export interface LinkSession {
  linkId: string;
  type: 'file' | 'folder';
  needsPassword: boolean;
  /** Throws LinkError('wrong-password') on a wrong password; nothing else is fetched. */
  unlock(password: string | null): Promise<DriveNode /* the shared file or folder, decrypted */>;
  list(folderId: string): Promise<DriveNode[]>;
  /** Children of `folderId` hidden at its last `list` because they failed verification. */
  unverifiedCount(folderId: string): number;
  /** From the shared root down to this folder (inclusive). */
  path(folderId: string): Promise<DriveNode[]>;
  /** Via the transfers panel, streamed to disk through the service worker. */
  download(nodeId: string): void;
  /** All files under folderId as one zip, built while it streams. */
  downloadZip(folderId: string): void;
  /** The whole decrypted file, only for files of at most 32 MiB; rejects otherwise. */
  preview(nodeId: string): Promise<Blob>;
  /** Leaves the link's peer room (if joined): the page moved on to another link or closed. */
  close(): void;
}

/**
 * Why a share link could not be opened: 'malformed' (the address is incomplete), 'not-found'
 * (unknown, expired, revoked or used up: the server tells these apart to nobody), 'wrong-key',
 * 'wrong-password'.
 */
export type LinkErrorReason = 'malformed' | 'not-found' | 'wrong-key' | 'wrong-password';

/** Which side of a direct transfer this device is on. */
export type DirectRole = 'sender' | 'receiver';

/**
 * Why a direct transfer stopped, in terms of what the person can do next. 'transport' carries the
 * transport's own description (a protocol breach, a chunk that failed its check).
 */
export type DirectFailure =
  | { reason: 'went-away' }
  | { reason: 'stopped-answering' }
  | { reason: 'peer-cancelled' }
  | { reason: 'wrong-code' }
  | { reason: 'no-signal-server' }
  | { reason: 'no-connection' }
  | { reason: 'stopped' }
  | { reason: 'transport'; detail: string };

/**
 * A request the client refuses itself, before anything is sent, and why; the upload outbox's own
 * failures are among them. A `detail` string is the pairing code parser's sentence, shown as it
 * is; a failure `detail` is what stopped the upload.
 */
export type Refusal =
  | { key: 'not-logged-in' }
  /** The email rule refused the address (protocol.md §3, "Email addresses"). */
  | { key: 'bad-email'; reason: EmailRefusal }
  | { key: 'password-too-short'; min: number }
  | { key: 'wrong-current-password' }
  | { key: 'root-rename' }
  | { key: 'root-move' }
  | { key: 'root-delete' }
  | { key: 'root-share' }
  | { key: 'into-itself' }
  | { key: 'not-a-folder' }
  | { key: 'not-a-file' }
  | { key: 'too-deep' }
  | { key: 'preview-too-large'; maxBytes: number }
  | { key: 'link-gone' }
  | { key: 'link-password-empty' }
  | { key: 'link-expiry-past' }
  | { key: 'link-limit' }
  | { key: 'link-not-open' }
  | { key: 'not-in-link' }
  | { key: 'link-first-chunk' }
  | { key: 'direct-unavailable'; role: DirectRole }
  | { key: 'bad-code'; detail: string | null }
  | { key: 'received-discarded' }
  | { key: 'received-gone' }
  | { key: 'received-incomplete' }
  | { key: 'received-damaged' }
  | { key: 'received-part-missing'; part: number }
  | { key: 'not-queued' }
  | { key: 'upload-failed'; detail: FailureValue | null }
  | { key: 'upload-cancelled' }
  | { key: 'not-sealed'; detail: FailureValue | null }
  | { key: 'file-too-large' }
  /** The same file is still waiting to upload to the same folder. */
  | { key: 'already-queued'; name: string }
  /** Bytes, as the browser's storage estimate gives them. */
  | { key: 'device-too-small'; name: string; needed: number; free: number; quota: number }
  | { key: 'device-full-while-sealing'; name: string }
  /** The app closed while the file was sealed: neither its key nor the file is kept. */
  | { key: 'outbox.interrupted' }
  | { key: 'folders-need-network' }
  | { key: 'some-not-queued'; failed: number; total: number; first: FailureValue }
  /** A stored chunk of a queued file is gone (the browser cleared site data). */
  | { key: 'chunks-lost' };

/** A refusal the server answered: its status, its code, and its sentence if it sent one. */
interface Refused<K extends string> {
  kind: K;
  status: number;
  code: string;
  said: string | null;
}

/**
 * A failure as plain data: what each typed error of the services (platform/errors.ts, one class
 * per `kind`) carries, without the class, so it can be kept where a class does not survive: a
 * transfer's snapshot, and an outbox row in IndexedDB (whose structured clone keeps none of an
 * Error's own fields). Every ServiceFailure is one, and the UI's catalogue words either.
 */
export type FailureValue =
  | Refused<'session-refused'>
  | Refused<'forbidden'>
  | Refused<'not-found'>
  | Refused<'rate-limited'>
  | Refused<'server'>
  | (Refused<'quota'> & { quota: 'storage' | 'transfer'; figures: ErrorDetails | null })
  | { kind: 'bad-answer'; status: number; reason: 'malformed' | 'too-large' }
  | { kind: 'network' }
  | { kind: 'integrity' }
  | { kind: 'weak-kdf' }
  | { kind: 'damaged-account' }
  | { kind: 'invalid'; refusal: Refusal }
  | { kind: 'link'; reason: LinkErrorReason }
  | { kind: 'direct'; role: DirectRole; failure: DirectFailure }
  | { kind: 'browser'; reason: BrowserFailure }
  | { kind: 'cancelled' }
  | { kind: 'unexpected'; message: string };

/** What the browser could not do for the app. */
export type BrowserFailure =
  | 'storage-full'
  | 'crypto-engine'
  | 'downloads-need-reload'
  | 'download-refused'
  | 'download-not-started';
