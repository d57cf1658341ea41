// Starts the owner's link seeding (p2p/link-room/owner-seeding.ts) only where a signal server is deployed,
// and loads its code only then: a drive without peers never fetches the WebRTC modules.
import type { SharedLink } from '../contract';
import type { DriveService } from '../drive/drive-service';
import type { OwnerSeeding } from '../p2p/link-room/owner-seeding';
import { signalServerUrl } from '../p2p/wire/signal-config';

export class LinkSeeding {
  #seeding: Promise<OwnerSeeding> | null = null;
  #owner: string | null = null;

  constructor(
    private readonly links: () => Promise<SharedLink[]>,
    private readonly drive: DriveService,
  ) {}

  /** The session opened for `owner`, or closed (null). */
  open(owner: string | null): void {
    this.#owner = owner;
    if (owner === null) void this.#seeding?.then((seeding) => seeding.stop());
    else this.refresh();
  }

  /** Links, uploads or the session changed: rooms follow. */
  refresh(): void {
    if (this.#owner === null) return;
    void signalServerUrl()
      .then((url) => {
        if (url === null) return;
        this.#seeding ??= import('../p2p/link-room/owner-seeding').then(
          ({ OwnerSeeding }) => new OwnerSeeding(() => this.#owner, this.links, this.drive),
        );
        return this.#seeding.then((seeding) => seeding.refresh());
      })
      .catch(() => undefined); // no config yet: the next change tries again
  }
}
