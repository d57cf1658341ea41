import { isIPv6 } from 'node:net';
import { Address6 } from 'ip-address';

/** One IPv6 /64 is one subscriber's network: counting its addresses apart would be no limit. */
const IPV6_SUBNET = 64;

/**
 * The address a per-IP rate limit counts: IPv4 as is (also when mapped into IPv6), IPv6 by its
 * /64 — what @fastify/rate-limit does by default, for limiters that need keys of their own.
 */
export function clientAddressKey(ip: string): string {
  if (!isIPv6(ip)) return ip.toLowerCase();
  const address = new Address6(ip);
  if (address.isMapped4()) return address.to4().correctForm();
  return new Address6(`${ip}/${IPV6_SUBNET}`).startAddress().correctForm();
}
