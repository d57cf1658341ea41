// The app has two entry points on one origin: the drive, and the link page at /s/<linkId> that
// anyone with a share link opens without an account.
const LINK_PATH = '/s/';

/** The link id when the path is a link page (possibly empty or damaged), otherwise null. */
export function linkIdFromPath(pathname: string): string | null {
  if (!pathname.startsWith(LINK_PATH)) return null;
  return pathname.slice(LINK_PATH.length).replace(/\/$/, '');
}
