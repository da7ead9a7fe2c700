import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../../src/http/proxy.ts';

const PROXY = 'http://proxy.example:3128';

/** Whether a request to `target` goes through the proxy with this NO_PROXY. No request is made. */
function proxied(target: string, noProxy: string): boolean {
  return (
    proxyFor(new URL(target), { HTTPS_PROXY: PROXY, HTTP_PROXY: PROXY, NO_PROXY: noProxy }) !== ''
  );
}

describe('NO_PROXY, matched as Go’s golang.org/x/net/http/httpproxy matches it', () => {
  it.each([
    // CIDR ranges, IPv4 and IPv6
    ['https://10.1.2.3:8200', '10.0.0.0/8', false],
    ['https://10.255.255.255', '10.0.0.0/8', false],
    ['https://11.0.0.1:8200', '10.0.0.0/8', true],
    ['https://192.168.7.9:8200', '192.168.0.0/16', false],
    ['https://192.169.0.1:8200', '192.168.0.0/16', true],
    ['https://172.20.0.5', '172.16.0.0/12', false],
    ['https://172.32.0.5', '172.16.0.0/12', true],
    ['https://[fd12:3456::1]:8200', 'fd00::/8', false],
    ['https://[fe80::1]:8200', 'fd00::/8', true],
    ['https://[2001:db8::5]', '2001:db8::/32', false],
    ['https://[2001:db9::5]', '2001:db8::/32', true],
    // An IPv4 range covers the same address written IPv4-mapped, as Go's net.IP does.
    ['https://[::ffff:10.1.2.3]:8200', '10.0.0.0/8', false],
    // Host bits in the range are ignored, as Go's ParseCIDR masks them.
    ['https://10.9.9.9', '10.1.2.3/8', false],
    // A range names addresses, never host names.
    ['https://vault.example.com', '10.0.0.0/8', true],
    // A bad range is not a range.
    ['https://10.1.2.3', '10.0.0.0/33', true],
    // IP addresses, with or without a port
    ['https://10.0.0.1:8200', '10.0.0.1', false],
    ['https://10.0.0.1:8200', '10.0.0.1:8200', false],
    ['https://10.0.0.1:8201', '10.0.0.1:8200', true],
    ['https://10.0.0.1', '10.0.0.1:443', false],
    ['https://[fd00::1]:8200', 'fd00::1', false],
    ['https://[fd00::1]:8200', '[fd00::1]:8200', false],
    ['https://[fd00::1]:8201', '[fd00::1]:8200', true],
    // Bracketed without a port, Go takes it for a host name, which no address matches.
    ['https://[fd00::1]:8200', '[fd00::1]', true],
    // Domains: a bare name covers itself and its subdomains; a leading dot or *. only subdomains.
    ['https://example.com', 'example.com', false],
    ['https://vault.example.com', 'example.com', false],
    ['https://notexample.com', 'example.com', true],
    ['https://vault.example.com', '.example.com', false],
    ['https://example.com', '.example.com', true],
    ['https://vault.example.com', '*.example.com', false],
    ['https://example.com', '*.example.com', true],
    ['https://vault.example.com:8200', 'example.com:8200', false],
    ['https://vault.example.com:8201', 'example.com:8200', true],
    ['https://vault.example.com', 'example.com:443', false],
    ['http://vault.example.com', 'example.com:443', true],
    ['https://VAULT.Example.COM', 'vault.EXAMPLE.com', false],
    ['https://xn--bcher-kva.example', 'bücher.example', false],
    // The list: commas, spaces around entries, empty entries, `*`
    ['https://10.1.2.3', 'internal, 10.0.0.0/8 ,,', false],
    ['https://vault.internal', 'internal, 10.0.0.0/8 ,,', false],
    ['https://vault.example.com', 'internal, 10.0.0.0/8 ,,', true],
    ['https://anything.example', '*', false],
    ['https://10.1.2.3', 'example.com,*', false],
    ['https://vault.example.com', 'example.org example.com', true],
    ['https://vault.example.com', '', true],
    // This machine never goes through a proxy, whatever NO_PROXY says.
    ['https://localhost:8200', '', false],
    ['https://127.0.0.1:8200', '', false],
    ['https://127.8.9.10:8200', '', false],
    ['https://[::1]:8200', '', false],
    ['https://[::ffff:127.0.0.1]:8200', '', false],
    ['https://localhost.example.com', '', true],
  ])('%s with NO_PROXY=%j goes through the proxy: %s', (target, noProxy, expected) => {
    expect(proxied(target, noProxy)).toBe(expected);
  });

  it('reads the variables as Go does: the upper-case name first, an empty one skipped', () => {
    const target = new URL('https://10.1.2.3:8200');
    expect(proxyFor(target, { https_proxy: 'proxy:3128', no_proxy: '10.0.0.0/8' })).toBe('');
    expect(
      proxyFor(target, { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '', no_proxy: '10.0.0.0/8' }),
    ).toBe('');
    expect(proxyFor(target, { HTTPS_PROXY: '', https_proxy: 'proxy:3128' })).toBe(
      'http://proxy:3128',
    );
    expect(proxyFor(target, { HTTPS_PROXY: 'https://a:1', https_proxy: 'http://b:2' })).toBe(
      'https://a:1',
    );
    // An https target never falls back to HTTP_PROXY.
    expect(proxyFor(target, { HTTP_PROXY: 'http://p:80' })).toBe('');
    expect(proxyFor(new URL('http://10.1.2.3'), { HTTP_PROXY: 'http://p:80' })).toBe('http://p:80');
  });
});
