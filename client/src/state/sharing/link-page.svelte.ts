import {
  asServiceFailure,
  LinkError,
  services,
  type DriveNode,
  type LinkSession,
  type ServiceFailure,
  type TransferSnapshot,
} from '../../services';
import type { Message } from '../app/messages';
import { previewType, type PreviewKind } from '../drive/previews';
import { transfers } from '../drive/transfers.svelte';

// The page a share link opens. It never touches the account: everything goes through the
// LinkSession the services open from the link id and the key in the fragment.
export type LinkPageStatus =
  'loading' | 'malformed' | 'not-found' | 'wrong-key' | 'password' | 'failed' | 'open';

export interface Preview {
  node: DriveNode;
  kind: PreviewKind;
  loading: boolean;
  error: ServiceFailure | null;
  /** blob: URL for images, video and audio; revoked when the preview closes. */
  url: string | null;
  text: string | null;
  /** Text longer than TEXT_LIMIT is cut; the whole file is still one Download away. */
  truncated: boolean;
}

const TEXT_LIMIT = 1024 * 1024;
const LINK_ID = /^[A-Za-z0-9_-]+$/;

class LinkPage {
  status = $state<LinkPageStatus>('loading');
  /** Why the link could not be opened when status is 'failed' (offline, server error). */
  failure = $state<ServiceFailure | null>(null);
  passwordError = $state<Message | null>(null);
  unlocking = $state(false);
  root = $state<DriveNode | null>(null);
  path = $state<DriveNode[]>([]);
  items = $state<DriveNode[]>([]);
  /** Children of the open folder hidden because they failed verification. */
  unverified = $state(0);
  listing = $state(false);
  listError = $state<ServiceFailure | null>(null);
  preview = $state<Preview | null>(null);
  /** Transfers that existed before the last Download click; the next new one is that download. */
  #before = $state<Set<string> | null>(null);
  #session: LinkSession | null = null;
  #linkId = '';
  #fragment = '';
  #openTicket = 0;
  #listTicket = 0;
  #previewTicket = 0;

  readonly currentFolder = $derived(this.path.at(-1) ?? null);
  readonly download = $derived.by((): TransferSnapshot | null => {
    const before = this.#before;
    if (!before) return null;
    const started = transfers.items.filter((t) => t.kind === 'download' && !before.has(t.id));
    return started.at(-1) ?? null;
  });

  async open(linkId: string, fragment: string): Promise<void> {
    this.#linkId = linkId;
    this.#fragment = fragment;
    this.#session?.close();
    this.#session = null;
    this.#listTicket++;
    this.closePreview();
    this.status = 'loading';
    this.failure = null;
    this.passwordError = null;
    this.root = null;
    this.path = [];
    this.items = [];
    this.unverified = 0;
    transfers.start();
    // A newer open (the fragment changed) wins over one still waiting for the server.
    const ticket = ++this.#openTicket;
    if (!LINK_ID.test(linkId)) {
      this.status = 'malformed';
      return;
    }
    try {
      const session = await services.openLink(linkId, fragment);
      if (ticket !== this.#openTicket) return;
      this.#session = session;
      if (session.needsPassword) this.status = 'password';
      else await this.#unlock(session, null);
    } catch (error) {
      if (ticket === this.#openTicket) this.#fail(error);
    }
  }

  retry(): Promise<void> {
    return this.open(this.#linkId, this.#fragment);
  }

  async unlock(password: string): Promise<void> {
    if (!this.#session || this.unlocking) return;
    if (password === '') {
      this.passwordError = { key: 'link.enter-password' };
      return;
    }
    this.unlocking = true;
    this.passwordError = null;
    try {
      await this.#unlock(this.#session, password);
    } catch (error) {
      this.#fail(error);
    } finally {
      this.unlocking = false;
    }
  }

  async openFolder(folderId: string): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const ticket = ++this.#listTicket;
    this.listing = true;
    this.listError = null;
    try {
      const [path, items] = await Promise.all([session.path(folderId), session.list(folderId)]);
      if (ticket !== this.#listTicket) return;
      this.path = path;
      this.items = items;
      this.unverified = session.unverifiedCount(folderId);
    } catch (error) {
      if (ticket === this.#listTicket) {
        this.items = [];
        this.unverified = 0;
        this.listError = asServiceFailure(error);
      }
    } finally {
      if (ticket === this.#listTicket) this.listing = false;
    }
  }

  downloadFile(node: DriveNode): void {
    if (!this.#session) return;
    this.#before = new Set(transfers.items.map((t) => t.id));
    this.#session.download(node.id);
  }

  downloadAll(): void {
    const folder = this.currentFolder;
    if (this.#session && folder) this.#session.downloadZip(folder.id);
  }

  async showPreview(node: DriveNode): Promise<void> {
    const type = previewType(node);
    const session = this.#session;
    if (!type || !session) return;
    this.closePreview();
    const ticket = this.#previewTicket;
    const base = { node, kind: type.kind, url: null, text: null, truncated: false };
    this.preview = { ...base, loading: true, error: null };
    try {
      const blob = await session.preview(node.id);
      if (type.kind === 'text') {
        const text = await blob.slice(0, TEXT_LIMIT).text();
        if (ticket !== this.#previewTicket) return;
        const truncated = blob.size > TEXT_LIMIT;
        this.preview = { ...base, text, truncated, loading: false, error: null };
      } else if (ticket === this.#previewTicket) {
        const url = URL.createObjectURL(new Blob([blob], { type: type.mime }));
        this.preview = { ...base, url, loading: false, error: null };
      }
    } catch (error) {
      if (ticket === this.#previewTicket) {
        this.preview = { ...base, loading: false, error: asServiceFailure(error) };
      }
    }
  }

  closePreview(): void {
    this.#previewTicket++;
    if (this.preview?.url) URL.revokeObjectURL(this.preview.url);
    this.preview = null;
  }

  async #unlock(session: LinkSession, password: string | null): Promise<void> {
    const root = await session.unlock(password);
    this.root = root;
    this.passwordError = null;
    if (root.type === 'folder') {
      this.path = [root];
      void this.openFolder(root.id);
    }
    this.status = 'open';
  }

  #fail(error: unknown): void {
    if (error instanceof LinkError) {
      if (error.reason === 'wrong-password') this.passwordError = { key: 'link.wrong-password' };
      else this.status = error.reason;
      return;
    }
    this.failure = asServiceFailure(error);
    this.status = 'failed';
  }
}

export const linkPage = new LinkPage();
