import { drive } from '../drive/drive.svelte';
import { session } from './session.svelte';

// The manifest's shortcuts open the app at `/?view=links` or `/?action=upload`; both wait for the
// account to open. A file picker needs a person's click, so "Upload files" offers one at once.
class Shortcuts {
  /** The "Upload files" shortcut's picker is on screen. */
  picking = $state(false);

  start(view: string | null, action: string | null): void {
    if (view !== 'links' && action !== 'upload') return;
    const stop = $effect.root(() => {
      $effect(() => {
        if (session.status !== 'signed-in') return;
        if (view === 'links') void drive.openLinks();
        if (action === 'upload') this.picking = true;
        queueMicrotask(stop);
      });
    });
  }

  /** Files chosen in the shortcut's picker go to the drive's top folder (where it opened). */
  upload(files: File[]): void {
    this.picking = false;
    drive.upload(files);
  }

  close(): void {
    this.picking = false;
  }
}

export const shortcuts = new Shortcuts();
