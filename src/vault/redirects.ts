/**
 * Where a Vault redirect may be followed. A standby answers 307 or 308 to the
 * active node and the request goes again there, token and body with it — a
 * login's secret-id or JWT included — so it may go only to an origin the user
 * named (the `url` server or a node listed in `nodes`), over the scheme the
 * connection started with.
 */
export interface Redirect {
  from: URL;
  status: number;
  location: string;
  /** Redirects already followed for this request. */
  followed: number;
}

export interface RedirectRule {
  scheme: string;
  /** Origins the user named. */
  origins: readonly string[];
}

export type RedirectDecision = { follow: URL } | { refuse: string };

/** Enough for a standby and a load balancer in front; more is a loop. */
const MAX_REDIRECTS = 5;

/** The only redirects that keep the method and body, as a forwarded write needs. */
const FOLLOWED_STATUSES: ReadonlySet<number> = new Set([307, 308]);

export function judgeRedirect(redirect: Redirect, rule: RedirectRule): RedirectDecision {
  const { from, status, location } = redirect;
  if (!location || !URL.canParse(location, from.href)) {
    return {
      refuse: `redirect from ${from.origin} to ${JSON.stringify(location.slice(0, 200))} refused: not an address`,
    };
  }
  const to = new URL(location, from);
  // An address without a host (`data:`, `javascript:`) is named as it was sent.
  const where = to.host ? to.origin : JSON.stringify(location.slice(0, 200));
  const refuse = (why: string): RedirectDecision => ({
    refuse: `redirect from ${from.origin} to ${where} refused: ${why}; nothing was sent to ${to.host || 'it'}`,
  });
  if (!FOLLOWED_STATUSES.has(status)) {
    return refuse(`only 307 and 308 keep the method and body, so only those are followed`);
  }
  if (redirect.followed >= MAX_REDIRECTS) {
    return refuse(
      `it is redirect number ${String(redirect.followed + 1)}, more than a standby needs`,
    );
  }
  if (to.protocol !== rule.scheme) {
    return refuse(`it leaves ${rule.scheme.slice(0, -1)} for ${to.protocol.slice(0, -1)}`);
  }
  if (!rule.origins.includes(to.origin)) {
    return refuse(
      `${to.host} is neither the url server nor a node listed in nodes (list it there if it is a node of this cluster)`,
    );
  }
  return { follow: to };
}
