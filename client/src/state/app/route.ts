// The app has three entry points on one origin: the drive, the link page at /s/<linkId> that
// anyone with a share link opens without an account, and /receive for a file from a device.
const LINK_PATH = '/s/';

/** The link id when the path is a link page (possibly empty or damaged), otherwise null. */
export function linkIdFromPath(pathname: string): string | null {
  if (!pathname.startsWith(LINK_PATH)) return null;
  return pathname.slice(LINK_PATH.length).replace(/\/$/, '');
}

/** The page that receives a file from another device, with or without an account. */
export const RECEIVE_PATH = '/receive';

export function isReceivePath(pathname: string): boolean {
  return pathname === RECEIVE_PATH || pathname === `${RECEIVE_PATH}/`;
}
