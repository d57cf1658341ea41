import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  addressKey,
  clientAddress,
  EnvReader,
  MAX_PROXY_HOPS,
  proxyHops,
} from '@coffre/server-kit';

/** A request as the socket's peer `peer` sent it, with these X-Forwarded-For headers. */
function request(peer: string, ...forwardedFor: string[]): IncomingMessage {
  const headers = forwardedFor.length > 0 ? { 'x-forwarded-for': forwardedFor.join(', ') } : {};
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('the key a client is counted under', () => {
  it('is an IPv6 address’s /64: one subscriber’s network is one client', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80::/64');
  });

  it('is an IPv4 address as is, also when it arrives mapped into IPv6', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::FFFF:192.0.2.7')).toBe('192.0.2.7');
  });
});

describe('the client address behind trusted proxies', () => {
  it('is the socket’s peer when no proxy is trusted, whatever the client wrote', () => {
    expect(clientAddress(request('203.0.113.5', '198.51.100.1'), 0)).toBe('203.0.113.5');
  });

  it('behind one proxy, is the entry that proxy appended, not what the client wrote before it', () => {
    expect(clientAddress(request('10.0.0.2', '198.51.100.9, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientAddress(request('10.0.0.2', '198.51.100.9', '203.0.113.7'), 1)).toBe(
      '203.0.113.7',
    );
  });

  it('behind a chain, counts that many hops from the right', () => {
    const chain = request('10.0.0.3', '198.51.100.9, 203.0.113.7, 10.0.0.2');
    expect(clientAddress(chain, 1)).toBe('10.0.0.2');
    expect(clientAddress(chain, 2)).toBe('203.0.113.7');
    expect(clientAddress(chain, 3)).toBe('198.51.100.9');
  });

  it('stops at the leftmost entry when the chain is shorter than the proxies named', () => {
    expect(clientAddress(request('10.0.0.2', '203.0.113.7'), 4)).toBe('203.0.113.7');
    expect(clientAddress(request('10.0.0.2'), 1)).toBe('10.0.0.2');
  });

  it('names the proxies in front as a count, true for one and false for none', () => {
    const hops = (raw: string) => proxyHops(new EnvReader({ P: raw }), 'P');
    expect(proxyHops(new EnvReader({}), 'P')).toBe(0);
    expect([hops('0'), hops('false'), hops('1'), hops('true'), hops('3')]).toEqual([0, 0, 1, 1, 3]);
    expect(hops(String(MAX_PROXY_HOPS))).toBe(MAX_PROXY_HOPS);
    for (const raw of [String(MAX_PROXY_HOPS + 1), '-1', 'yes', '1.5']) {
      expect(() => hops(raw), raw).toThrow(
        `P must be the number of proxies in front (0-${MAX_PROXY_HOPS}), got "${raw}"`,
      );
    }
  });
});
