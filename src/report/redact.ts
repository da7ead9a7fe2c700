/** scheme://, user-info up to the authority's last `@`, the rest up to a query or fragment, and those. */
const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)([^/\\?#]*@)?([^?#]*)([?#][\s\S]*)?$/i;

/**
 * A URL as the action shows it anywhere — log, summary, outputs: its
 * user-info (`user:password@`) shown as `***@`, its query and fragment, which
 * on signed storage URLs carry the signature and tokens
 * (`?X-Amz-Signature=…`), as `?…`. The rest is left exactly as written.
 */
export function displayUrl(url: string): string {
  const parts = URL_PARTS.exec(url);
  if (!parts) return url;
  const [, scheme = '', userInfo, rest = '', query] = parts;
  return `${scheme}${userInfo ? '***@' : ''}${rest}${query ? '?…' : ''}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"'`]+/gi;

/** Every URL in a line of text, as `displayUrl` shows it. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, displayUrl);
}

const USER_INFO = /\b[a-z][a-z0-9+.-]*:\/\/([^/\\?#\s]*)@/gi;

/**
 * The secrets in the user-info of every URL in an input, as typed and
 * percent-decoded: the password, or the user name when it stands alone
 * (`https://TOKEN@host/`, as token-carrying URLs are written).
 */
export function urlSecrets(text: string): string[] {
  const secrets = new Set<string>();
  for (const [, userInfo = ''] of text.matchAll(USER_INFO)) {
    const colon = userInfo.indexOf(':');
    const secret = colon < 0 ? userInfo : userInfo.slice(colon + 1);
    if (!secret) continue;
    secrets.add(secret);
    try {
      secrets.add(decodeURIComponent(secret));
    } catch {
      // Not valid percent-encoding: the secret as typed is masked already.
    }
  }
  return [...secrets];
}
