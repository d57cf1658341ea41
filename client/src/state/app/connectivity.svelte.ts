import { services } from '../../services';
import { drive } from '../drive/drive.svelte';

// Whether the app is online, for the offline banner. Coming back online refreshes the folder
// that could not be listed while offline (the services resume uploads by themselves).
class Connectivity {
  online = $state(true);
  #unsubscribe: (() => void) | null = null;

  start(): void {
    this.#unsubscribe ??= services.onConnectivity((online) => {
      const cameBack = online && !this.online;
      this.online = online;
      if (cameBack && drive.view === 'folder' && drive.error !== null) void drive.refresh();
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }
}

export const connectivity = new Connectivity();
