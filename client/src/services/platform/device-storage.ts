// This browser's storage for the app: the quota it grants, and the promise not to evict the
// upload outbox under pressure (asked once, when the first file is queued).

export interface Estimate {
  quota: number | null;
  usage: number | null;
}

export async function estimateStorage(): Promise<Estimate> {
  try {
    const { quota, usage } = (await navigator.storage?.estimate()) ?? {};
    return { quota: quota ?? null, usage: usage ?? null };
  } catch {
    return { quota: null, usage: null };
  }
}

let asked = false;

export function requestPersistence(): void {
  if (asked) return;
  asked = true;
  void navigator.storage?.persist?.().catch(() => false);
}

export async function isPersisted(): Promise<boolean> {
  try {
    return (await navigator.storage?.persisted?.()) ?? false;
  } catch {
    return false;
  }
}
