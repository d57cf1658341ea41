import type { Message } from './messages';

// One polite live region for events that need no toast: transfer completions and the like.
// Repeating the same message must still be announced, so the region is cleared first.
class Announcer {
  message = $state<Message | null>(null);

  /** A string is a sentence its caller words itself (the transfers mirror, for now). */
  say(message: Message | string): void {
    this.message = null;
    const next =
      typeof message === 'string' ? { key: 'text' as const, params: { text: message } } : message;
    queueMicrotask(() => (this.message = next));
  }
}

export const announcer = new Announcer();
