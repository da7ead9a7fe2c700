/**
 * The proxy for a target as Vault's Go client picks it: HTTPS_PROXY for
 * https, HTTP_PROXY for http (either case), unless NO_PROXY names the host
 * or the host is this machine (`localhost`, a loopback address), which a
 * proxy could not reach.
 */
export function proxyFor(target: URL, env: Readonly<Record<string, string | undefined>>): string {
  const names =
    target.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'];
  const proxy = names.map((n) => env[n]?.trim() ?? '').find(Boolean) ?? '';
  if (!proxy || isLoopback(target) || bypassed(target, env.NO_PROXY ?? env.no_proxy ?? '')) {
    return '';
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

function isLoopback(target: URL): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

function bypassed(target: URL, noProxy: string): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((raw) => {
      const entry = raw.toLowerCase();
      if (entry === '*') return true;
      const match = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\]$/g, ''));
      const name = (match?.[1] ?? '').replace(/^\*?\./, '.');
      if (match?.[2] && match[2] !== port) return false;
      if (name.startsWith('.')) return host.endsWith(name) || host === name.slice(1);
      return host === name || host.endsWith(`.${name}`);
    });
}
