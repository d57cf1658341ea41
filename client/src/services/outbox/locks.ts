// Web Locks shared by the tabs of this origin: the one draining an account's outbox, and one per
// item while it is sealed (so a later start can tell an interrupted encryption from a live one).
// Browsers without the API run as if each tab were alone.

export function drainLockName(owner: string): string {
  return `coffre-outbox:${owner}`;
}

export function sealLockName(id: string): string {
  return `coffre-seal:${id}`;
}

export async function withLock(name: string, task: () => Promise<void>): Promise<void> {
  if (!navigator.locks) return task();
  await navigator.locks.request(name, task);
}

export async function isLocked(name: string): Promise<boolean> {
  if (!navigator.locks) return false;
  const { held = [] } = await navigator.locks.query();
  return held.some((lock) => lock.name === name);
}
