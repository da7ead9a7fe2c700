import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * The proxy for a target as Vault's Go client picks it (Go's
 * golang.org/x/net/http/httpproxy): HTTPS_PROXY for https, HTTP_PROXY for
 * http (either case), unless NO_PROXY covers the target or the target is
 * this machine (`localhost`, a loopback address), which a proxy could not
 * reach.
 */
export function proxyFor(target: URL, env: Env): string {
  const names =
    target.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'];
  const proxy = firstSet(env, names).trim();
  if (!proxy || !useProxy(target, firstSet(env, ['NO_PROXY', 'no_proxy']))) return '';
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** As Go reads the environment: the first of the spellings that is set and not empty. */
function firstSet(env: Env, names: readonly string[]): string {
  return names.map((n) => env[n] ?? '').find(Boolean) ?? '';
}

/**
 * NO_PROXY is a comma-separated list; each entry is `*` (everything), a
 * CIDR range (`10.0.0.0/8`, `fd00::/8`), an IP address with or without a
 * port (`10.0.0.1`, `10.0.0.1:8200`, `[fd00::1]:8200`), or a domain with or
 * without a port: `example.com` covers it and its subdomains, `.example.com`
 * and `*.example.com` only its subdomains. A bracketed IPv6 address without
 * a port, or one with a zone, is no address to Go and so matches nothing.
 */
function useProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = target.port || (DEFAULT_PORT[target.protocol] ?? '');
  const family = isIP(host);
  if (host === 'localhost' || (family !== 0 && isLoopback(host, family))) return false;
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return false;
    const range = cidr(entry);
    if (range) {
      if (family !== 0 && contains(range, host, family)) return false;
      continue;
    }
    const [entryHost, entryPort] = splitHostPort(entry) ?? [entry, ''];
    if (!entryHost) continue;
    const portMatches = entryPort === '' || entryPort === port;
    const entryFamily = entryHost.includes('%') ? 0 : isIP(entryHost);
    if (entryFamily !== 0) {
      const one = new BlockList();
      one.addAddress(entryHost, entryFamily === 4 ? 'ipv4' : 'ipv6');
      if (family !== 0 && contains(one, host, family) && portMatches) return false;
      continue;
    }
    if (domainCovers(entryHost, host) && portMatches) return false;
  }
  return true;
}

function isLoopback(host: string, family: number): boolean {
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  return contains(loopback, host, family);
}

/** BlockList also matches an IPv4-mapped IPv6 address against IPv4 rules, as Go's net.IP does. */
function contains(list: BlockList, host: string, family: number): boolean {
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function cidr(entry: string): BlockList | null {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  const address = match?.[1] ?? '';
  const family = address.includes('%') ? 0 : isIP(address);
  const bits = Number(match?.[2]);
  if (family === 0 || bits > (family === 4 ? 32 : 128)) return null;
  const range = new BlockList();
  range.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  return range;
}

/**
 * Go's net.SplitHostPort: `host:port` or `[host]:port`; null where Go
 * reports an error (no port, or a bare IPv6 address with its many colons),
 * and the entry is then taken whole as a host.
 */
function splitHostPort(entry: string): [string, string] | null {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0 || entry.charAt(close + 1) !== ':') return null;
    return [entry.slice(1, close), entry.slice(close + 2)];
  }
  const colon = entry.lastIndexOf(':');
  if (colon < 0 || entry.slice(0, colon).includes(':')) return null;
  return [entry.slice(0, colon), entry.slice(colon + 1)];
}

function domainCovers(entry: string, host: string): boolean {
  const name = entry.startsWith('*.') ? entry.slice(1) : entry;
  const exact = !name.startsWith('.');
  const suffix = asciiDomain(exact ? `.${name}` : name);
  return host.endsWith(suffix) || (exact && host === suffix.slice(1));
}

/** A Unicode NO_PROXY entry matches the punycode host name URL parsing gives. */
function asciiDomain(dotted: string): string {
  const ascii = domainToASCII(dotted.slice(1));
  return ascii ? `.${ascii}` : dotted;
}
