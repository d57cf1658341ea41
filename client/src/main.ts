import { mount } from 'svelte';
import App from './App.svelte';
import { registerServiceWorker } from './services';
import { linkIdFromPath } from './state/route';
import { session } from './state/session.svelte';
import { updatePrompt } from './state/update.svelte';
import './app.css';

const applyUpdate = registerServiceWorker(() => updatePrompt.offer(() => applyUpdate()));

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target });
// A link page never opens the account, even when this browser is signed in.
if (linkIdFromPath(location.pathname) === null) void session.start();
