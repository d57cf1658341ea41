import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import proxyAddr from '@fastify/proxy-addr';
import { Address6 } from 'ip-address';
import { invalidSetting, type EnvReader } from './env';

/** More proxies than this in front of one node is a mistake in the setting, not a deployment. */
export const MAX_PROXY_HOPS = 10;

/** One IPv6 /64 is one subscriber's network: counting its addresses apart would be no limit. */
const IPV6_SUBNET = 64;

/**
 * How many reverse proxies stand in front of the server, each appending the address it saw to
 * X-Forwarded-For: a count, `true` for one, `false` for none (`COFFRE_TRUST_PROXY`,
 * `COFFRE_SIGNAL_TRUST_PROXY`).
 */
export function proxyHops(read: EnvReader, name: string): number {
  const raw = read.raw(name);
  if (raw === undefined || raw === 'false') return 0;
  if (raw === 'true') return 1;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_PROXY_HOPS) {
    throw invalidSetting(name, `the number of proxies in front (0-${MAX_PROXY_HOPS})`, raw);
  }
  return Number(raw);
}

/**
 * The trust rule for `hops` proxies, in proxy-addr's terms (fastify's `trustProxy` takes it as
 * is): the socket's peer and the X-Forwarded-For entries the other proxies appended, counted from
 * the right. Entries further left are whatever the client wrote; believing them would let anyone
 * choose the address its limits count.
 */
export function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** The client's address: the first hop from the right not trusted (fastify's `request.ip`). */
export function clientAddress(request: IncomingMessage, hops: number): string {
  return proxyAddr(request, trustHops(hops)) ?? '';
}

/**
 * What a per-client limit counts an address under: IPv4 as is (also when mapped into IPv6), IPv6
 * by its /64, written `2001:db8:1:2::/64`.
 */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address.toLowerCase();
  const plain = address.split('%')[0]!;
  const ip = new Address6(plain);
  if (ip.isMapped4()) return ip.to4().correctForm();
  const subnet = new Address6(`${plain}/${IPV6_SUBNET}`).startAddress().correctForm();
  return `${subnet}/${IPV6_SUBNET}`;
}
