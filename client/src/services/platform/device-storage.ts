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

/** Decimal units, as browsers and disks report space: "105 MB", "1.2 GB". */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
