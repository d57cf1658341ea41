// The services layer's single entry point: `services` implements the contract state/ codes
// against; `registerServiceWorker` is called once by main.ts.
import { registerSW } from 'virtual:pwa-register';
import { AccountService } from './account/account-service';
import { Api } from './platform/http-client';
import { Connectivity } from './platform/connectivity';
import type { Services } from './contract';
import { CryptoPool } from './platform/crypto-pool';
import { DownloadService } from './downloads/download-service';
import { DriveService } from './drive/drive-service';
import { driveSource } from './downloads/file-source';
import { LinkSeeding } from './links/seeding';
import { openLinkSession } from './links/link-session';
import { DirectReceiver } from './p2p/direct/receive-from-device';
import { DirectSender } from './p2p/direct/send-to-device';
import { p2pCrypto } from './p2p/wire/p2p-crypto';
import { signalServerUrl } from './p2p/wire/signal-config';
import { LinkService } from './links/owner-links';
import { TransferList } from './transfers/transfer-list';
import { UploadService } from './outbox/queue';
import { UsageFeed } from './account/usage-feed';
import { UploadWakeLock } from './platform/wake-lock';

export type * from './contract';
// The typed failures state/ tells apart.
export {
  ApiError,
  asServiceFailure,
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
  ServiceError,
  SessionRefusedError,
  UnexpectedError,
  WeakKdfRefusedError,
  type ServiceFailure,
} from './platform/errors';
export { drainInbox, inboxCount, onInboxChange } from './outbox/share-inbox';
export { SpeedMeter } from './transfers/speed-meter';

function createServices(): Services {
  const api = new Api();
  const pool = new CryptoPool();
  const transfers = new TransferList();
  const account = new AccountService(api, pool);
  const session = () => account.current();
  const drive = new DriveService(api, session);
  const connectivity = new Connectivity();
  const uploads = new UploadService(
    api,
    pool,
    drive,
    transfers,
    session,
    connectivity,
    new UploadWakeLock(),
  );
  const downloads = new DownloadService(pool, transfers);
  const ownFiles = driveSource(api, drive, session);
  const links = new LinkService(api, pool, drive, session);
  const usage = new UsageFeed(() => drive.usage());
  const seeding = new LinkSeeding(() => links.list(), drive);
  uploads.onCommitted = () => seeding.refresh();
  const sender = new DirectSender(
    drive,
    ownFiles,
    (nodeId, options) => links.create(nodeId, options),
    uploads,
    transfers,
    session,
  );
  const receiver = new DirectReceiver(pool, downloads);
  account.onChange((open) => {
    drive.reset();
    if (!open) transfers.cancelAll();
    usage.setOpen(open !== null);
    uploads.open(open?.userId ?? null);
    seeding.open(open?.userId ?? null);
  });
  /** Runs a link change, then lets the rooms this device seeds follow it. */
  const relinking = async <T>(change: Promise<T>): Promise<T> => {
    const result = await change;
    seeding.refresh();
    return result;
  };
  // Back online (or woken by Background Sync): check a session opened offline, then send.
  connectivity.subscribe((online) => {
    if (!online) return uploads.wake();
    account.revalidate().then(
      (valid) => {
        if (!valid) return;
        uploads.wake();
        usage.refresh();
      },
      () => undefined, // still unreachable: the next online event tries again
    );
  });
  transfers.onStop(() => usage.refresh());
  /** Runs a change that frees space, then pushes the new usage. */
  const freeing = async (change: () => Promise<void>): Promise<void> => {
    await change();
    usage.refresh();
  };

  return {
    resume: () => account.resume(),
    signUp: (email, password) => account.signUp(email, password),
    logIn: (email, password) => account.logIn(email, password),
    recover: (email, recoveryKey, newPassword) => account.recover(email, recoveryKey, newPassword),
    changePassword: (current, next) => account.changePassword(current, next),
    logOut: () => account.logOut(),
    onSessionEnded: (listener) => account.onEnded(listener),

    rootId: () => drive.rootId(),
    list: (folderId) => drive.list(folderId),
    unverifiedCount: (folderId) => drive.unverifiedCount(folderId),
    path: (folderId) => drive.path(folderId),
    createFolder: (parentId, name) => drive.createFolder(parentId, name),
    rename: (nodeId, name) => drive.rename(nodeId, name),
    move: (nodeId, newParentId) => drive.move(nodeId, newParentId),
    trash: (nodeId) => drive.trash(nodeId),
    restore: (nodeId) => drive.restore(nodeId),
    listTrash: () => drive.listTrash(),
    unverifiedInTrash: () => drive.unverifiedInTrash(),
    usage: () => drive.usage(),
    plans: () => drive.plans(),
    usageBreakdown: () => drive.usageBreakdown(),
    purge: (nodeId) => freeing(() => drive.purge(nodeId)),
    emptyTrash: () => freeing(() => drive.emptyTrash()),
    onUsage: (listener) => usage.subscribe(listener),

    upload: (parentId, files) => uploads.upload(parentId, files),
    pauseUpload: (transferId) => uploads.pause(transferId),
    resumeUpload: (transferId) => uploads.resume(transferId),
    retryUpload: (transferId) => uploads.retry(transferId),
    cancelAllUploads: () => uploads.cancelAll(),
    onConnectivity: (listener) => {
      listener(connectivity.online);
      return connectivity.subscribe(listener);
    },
    deviceStorage: () => uploads.deviceStorage(),
    download: (nodeId) => downloads.download(ownFiles, nodeId),
    cancel: (transferId) => uploads.cancel(transferId),
    resumeTransfer: (transferId) => transfers.resume(transferId),
    onTransfers: (listener) => transfers.subscribe(listener),

    createLink: (nodeId, options) => relinking(links.create(nodeId, options)),
    listLinks: () => links.list(),
    updateLink: (linkId, changes) => links.update(linkId, changes),
    revokeLink: (linkId) => relinking(links.revoke(linkId)),
    openLink: (linkId, fragment) => openLinkSession(pool, downloads, linkId, fragment),

    direct: {
      available: () => signalServerUrl().then((url) => url !== null),
      newCode: async () => (await p2pCrypto()).newPairingCode(),
      checkCode: (text) => receiver.checkCode(text),
      send: (source, code, events, signal) => sender.send(source, code, events, signal),
      linkInstead: (source, onWaiting) => sender.linkInstead(source, onWaiting),
      receive: (code, events, signal) => receiver.receive(code, events, signal),
      received: () => receiver.received(),
      save: (id) => receiver.save(id),
      discard: (id) => receiver.discard(id),
    },
  };
}

export const services = createServices();

/**
 * Registers the service worker (offline shell, streamed downloads, share target). `onNeedRefresh`
 * fires when a new version is waiting: call the returned function to activate it. `onNeedReload`
 * fires when a new version has taken control of this page, whichever tab activated it.
 */
export function registerServiceWorker(handlers: {
  onNeedRefresh: () => void;
  onNeedReload: () => void;
}): () => Promise<void> {
  if ('serviceWorker' in navigator) {
    // The first worker claiming a page is the install, not an update; any later change is.
    let controlled = navigator.serviceWorker.controller !== null;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (controlled) handlers.onNeedReload();
      controlled = true;
    });
  }
  return registerSW({
    immediate: true,
    onNeedRefresh: handlers.onNeedRefresh,
    // Replaces the plugin's own reload on a controller change, which would also reload this page
    // when another tab accepts an update; the listener above decides instead.
    onNeedReload: () => {},
  });
}
