import type { Message } from '../../state/app/messages';

/** Resolves to the message to announce after trying to copy. */
export async function copyText(text: string, what: string): Promise<Message> {
  try {
    await navigator.clipboard.writeText(text);
    return { key: 'copy.done', params: { what } };
  } catch {
    return { key: 'copy.blocked', params: { what } };
  }
}
