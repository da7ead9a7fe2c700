/** How often and how patiently a call is repeated after a transient failure. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseMs: 250, capMs: 8000 };

/** Statuses worth another try: a standby not caught up, rate limits, a sealed or restarting node, a gateway. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([412, 429, 500, 502, 503, 504]);

/** Of those, the ones by which the server says it did not act on the request. */
const NOT_APPLIED_STATUSES: ReadonlySet<number> = new Set([412, 429, 503]);

/** Connection errors raised before a byte of the request left: repeating cannot apply a write twice. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const TLS_HINTS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'set ca-certificate (or VAULT_CACERT) to the CA that signed it',
  SELF_SIGNED_CERT_IN_CHAIN: 'set ca-certificate (or VAULT_CACERT) to the CA that signed it',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'set ca-certificate (or VAULT_CACERT) to the CA that signed it',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'set ca-certificate (or VAULT_CACERT) to the CA that signed it',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'the certificate does not name this host; use the address it was issued for',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
};

/** Full jitter: a random wait up to an exponentially growing ceiling, so retrying clients spread out. */
export function backoffMs(
  policy: RetryPolicy,
  failedAttempts: number,
  random: () => number,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (failedAttempts - 1));
  return Math.floor(random() * ceiling);
}

export type Applied = 'no' | 'unknown';

export function appliedAfterStatus(status: number): Applied {
  return NOT_APPLIED_STATUSES.has(status) ? 'no' : 'unknown';
}

export interface NetworkFailure {
  retry: boolean;
  applied: Applied;
  detail: string;
}

/** What a failed connection means for the request, from the error undici or Node raised. */
export function classifyNetworkError(error: unknown): NetworkFailure {
  const code = errorCode(error);
  const message = errorMessage(error);
  const hint = TLS_HINTS[code];
  if (hint) return { retry: false, applied: 'no', detail: `TLS: ${message}; ${hint}` };
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate/i.test(message)) {
    return { retry: false, applied: 'no', detail: `TLS: ${message}` };
  }
  if (NOT_SENT_CODES.has(code)) return { retry: true, applied: 'no', detail: message };
  if (SENT_CODES.has(code) || isTimeout(error)) {
    return { retry: true, applied: 'unknown', detail: isTimeout(error) ? 'timed out' : message };
  }
  return { retry: false, applied: 'unknown', detail: message };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function errorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return '';
}

function errorMessage(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
    e = e.cause;
  }
  return parts.join(': ') || String(error);
}
