// Where the app looks for the signal server: the operator's COFFRE_SIGNAL_URL as the storage
// server checks it, and as a page resolves it against its own address.
import { describe, expect, it } from 'vitest';
import { resolveSignalUrl } from '../../client/src/services/p2p/wire/signal-config';
import { loadConfig } from '../../storage-server/src/config';

const signalUrl = (value: string) => loadConfig({ COFFRE_SIGNAL_URL: value }).signalUrl;

describe('COFFRE_SIGNAL_URL', () => {
  it('is absent, a port on the page host, or an http(s) origin', () => {
    expect(loadConfig({}).signalUrl).toBeNull();
    expect(signalUrl(':8081')).toBe(':8081');
    expect(signalUrl('https://signal.example.org/')).toBe('https://signal.example.org');
    expect(signalUrl('http://10.0.0.2:9000')).toBe('http://10.0.0.2:9000');
  });

  it('refuses anything else with the variable named', () => {
    for (const bad of [
      'signal.example.org',
      'ftp://x.example',
      ':99999',
      ':80a',
      'wss://x.example',
    ]) {
      expect(() => signalUrl(bad)).toThrow(/COFFRE_SIGNAL_URL/);
    }
  });
});

describe('the signal server as a page resolves it', () => {
  const page = new URL('http://192.168.1.20:8080/s/abc#key');

  it('takes `:port` on the host the page came from, so a phone on the LAN finds it', () => {
    expect(resolveSignalUrl(':8081', page)).toBe('http://192.168.1.20:8081');
    expect(resolveSignalUrl(':443', new URL('https://drive.example/'))).toBe(
      'https://drive.example:443',
    );
  });

  it('keeps an absolute origin, and null means no P2P', () => {
    expect(resolveSignalUrl('https://signal.example.org', page)).toBe('https://signal.example.org');
    expect(resolveSignalUrl(null, page)).toBeNull();
  });
});
