/** Resolves to the sentence to announce after trying to copy. */
export async function copyText(text: string, what: string): Promise<string> {
  try {
    await navigator.clipboard.writeText(text);
    return `${what} copied to the clipboard.`;
  } catch {
    return `Copying was blocked: select the ${what.toLowerCase()} and copy it by hand.`;
  }
}
