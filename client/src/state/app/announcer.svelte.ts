import type { Message } from './messages';

// One polite live region for events that need no toast: transfer completions and the like.
// Repeating the same message must still be announced, so the region is cleared first.
class Announcer {
  message = $state<Message | null>(null);

  say(message: Message): void {
    this.message = null;
    queueMicrotask(() => (this.message = message));
  }
}

export const announcer = new Announcer();
