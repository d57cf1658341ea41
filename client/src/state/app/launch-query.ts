// The app's start URL may carry one-off instructions: the manifest's shortcuts (`?view=links`,
// `?action=upload`) and the share target's redirect (`?shared=<count>|failed`). They are read once
// and removed, so a reload does not repeat them.
export interface LaunchQuery {
  view: string | null;
  action: string | null;
  shared: string | null;
}

const KEYS = ['view', 'action', 'shared'] as const;

export function takeLaunchQuery(): LaunchQuery {
  const url = new URL(location.href);
  const [view, action, shared] = KEYS.map((key) => url.searchParams.get(key));
  if (KEYS.some((key) => url.searchParams.has(key))) {
    for (const key of KEYS) url.searchParams.delete(key);
    history.replaceState(history.state, '', url);
  }
  return { view: view ?? null, action: action ?? null, shared: shared ?? null };
}
