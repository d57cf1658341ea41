import { createHmac, randomBytes } from 'node:crypto';
import type { IceServer, IceServersResponse } from '@coffre/core/protocol';
import type { SignalConfig } from './config';

/**
 * The ICE servers a browser should use. TURN credentials follow coturn's shared-secret scheme
 * (`use-auth-secret`): the username carries its own expiry and the credential is an HMAC of it,
 * so coturn checks them without a user database and no long-lived password reaches a client.
 */
export function iceServers(config: SignalConfig, nowMs: number): IceServersResponse {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls });
  if (!config.turn) return { iceServers: servers, expiresAt: null };

  const expiry = Math.floor(nowMs / 1000) + config.turn.ttlSeconds;
  const username = `${expiry}:${randomBytes(9).toString('base64url')}`;
  const credential = createHmac('sha1', config.turn.secret).update(username).digest('base64');
  servers.push({ urls: config.turn.urls, username, credential });
  return { iceServers: servers, expiresAt: expiry * 1000 };
}
