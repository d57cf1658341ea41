import { mount } from 'svelte';
import App from './App.svelte';
import { registerServiceWorker } from './services';
import { install } from './state/app/install.svelte';
import { takeLaunchQuery } from './state/app/launch-query';
import { linkIdFromPath } from './state/app/route';
import { session } from './state/app/session.svelte';
import { sharedFiles } from './state/drive/shared-files.svelte';
import { shortcuts } from './state/app/shortcuts.svelte';
import { updatePrompt } from './state/app/update.svelte';
import './app.css';

const applyUpdate = registerServiceWorker({
  onNeedRefresh: () => updatePrompt.offer(() => applyUpdate()),
  onNeedReload: () => updatePrompt.taken(),
});
install.start();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target });
// A link page never opens the account, even when this browser is signed in.
if (linkIdFromPath(location.pathname) === null) {
  const launch = takeLaunchQuery();
  shortcuts.start(launch.view, launch.action);
  sharedFiles.start(launch.shared);
  void session.start();
}
