import { BlockList, isIP } from 'node:net';

/** A `WWW-Authenticate` challenge: its scheme (lower case) and parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Reads `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="…"`
 * (RFC 7235: a scheme, then name=value pairs, values as tokens or quoted
 * strings). Only the first challenge of the header is read.
 */
export function parseChallenge(header: string): Challenge | null {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)/.exec(header);
  if (!scheme?.[1]) return null;
  const params: Record<string, string> = {};
  const pair = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g;
  for (const match of header.slice(scheme[0].length).matchAll(pair)) {
    const name = (match[1] ?? '').toLowerCase();
    params[name] ??= match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return { scheme: scheme[1].toLowerCase(), params };
}

/** Addresses a registry must not send a client's credential to: this machine, private networks, link-local (cloud metadata). */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  INTERNAL.addSubnet(net, bits, 'ipv6');
}

/**
 * Why the credential may not go to this token service, or '' when it may.
 * The realm is named by the registry, and a hostile one could name any
 * address, so it is held to go-containerregistry's rules (which OpenBao's
 * downloader uses): https, or http only for a plain-http registry; and a
 * realm on another origin than the registry's must not be an internal
 * address given as an IP literal.
 */
export function realmProblem(realm: string, registryOrigin: string): string {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return `its token service "${realm}" is not a URL`;
  }
  const registry = new URL(registryOrigin);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && registry.protocol === 'http:')) {
    return `its token service ${url.origin} is not https`;
  }
  if (url.host === registry.host) return '';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (family !== 0 && INTERNAL.check(host, family === 4 ? 'ipv4' : 'ipv6')) {
    return `its token service ${url.host} is an internal address on another host than the registry`;
  }
  return '';
}
