// One polite live region for events that need no toast: transfer completions and the like.
// Repeating the same sentence must still be announced, so the text is cleared first.
class Announcer {
  message = $state('');

  say(text: string): void {
    this.message = '';
    queueMicrotask(() => (this.message = text));
  }
}

export const announcer = new Announcer();
