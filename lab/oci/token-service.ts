// The token service of the lab's token-auth registry: the `realm` a
// registry's `WWW-Authenticate: Bearer` challenge names. It checks a basic
// credential, as ghcr.io's and Docker Hub's do, and answers with a JWT the
// distribution registry verifies against the key set it was started with.
// Like ghcr.io's, it answers on the registry's own origin (`/token`) and
// passes every other request on to the registry behind it: clients such as
// crane send credentials to a loopback realm only on the registry's origin.
import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { forward } from './forward.ts';

export interface TokenRequest {
  path: string;
  authorization: string;
  service: string;
  scope: string;
}

export interface TokenService {
  /** `127.0.0.1:port`: the registry's origin as clients see it, this service in front. */
  host: string;
  /** The URL challenges name as their realm. */
  realm: string;
  /** `service` of the challenge and the tokens' audience. */
  service: string;
  issuer: string;
  /** The key set the registry trusts (its `auth.token.jwks`). */
  jwksFile: string;
  requests: TokenRequest[];
  /** From now on a request with this user's credential is refused with a 401, as for a revoked password. */
  refuse(user: string): void;
  /** From now on tokens are signed with a key the registry does not trust. */
  forge(on: boolean): void;
  /** The registry every request but `/token` is passed on to. */
  serveFor(registry: string): void;
  close(): Promise<void>;
}

const SERVICE = 'lab-registry';
const ISSUER = 'lab-token-service';
const LIFETIME_SECONDS = 300;

/**
 * Starts the token service on a free loopback port. `users` maps each
 * accepted user to its password; every user may pull and push any
 * repository the scope names. A request without a credential is refused:
 * this registry has no anonymous access.
 */
export async function startTokenService(
  directory: string,
  users: Readonly<Record<string, string>>,
): Promise<TokenService> {
  const trusted = signingKey();
  const untrusted = signingKey();
  const jwksFile = join(directory, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [trusted.jwk] }));
  const requests: TokenRequest[] = [];
  const refused = new Set<string>();
  let forging = false;
  let upstream: URL | null = null;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    if (url.pathname !== '/token') {
      if (upstream) forward(req, res, upstream);
      else res.writeHead(503).end();
      return;
    }
    req.resume();
    const authorization = req.headers.authorization ?? '';
    const service = url.searchParams.get('service') ?? '';
    const scope = url.searchParams.get('scope') ?? '';
    requests.push({ path: url.pathname, authorization, service, scope });
    const user = basicUser(authorization, users);
    if (service !== SERVICE) {
      res.writeHead(404).end();
      return;
    }
    if (!user || refused.has(user)) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const key = forging ? untrusted : trusted;
    const now = Math.floor(Date.now() / 1000);
    const token = jwt(key, {
      iss: ISSUER,
      sub: user,
      aud: SERVICE,
      exp: now + LIFETIME_SECONDS,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access: grants(scope),
    });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, expires_in: LIFETIME_SECONDS }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    realm: `http://${host}/token`,
    service: SERVICE,
    issuer: ISSUER,
    jwksFile,
    requests,
    refuse: (user) => refused.add(user),
    forge: (on) => (forging = on),
    serveFor: (registry) => (upstream = new URL(registry)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface SigningKey {
  privateKey: KeyObject;
  kid: string;
  jwk: Record<string, unknown>;
}

function signingKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: 'ES256' };
  return { privateKey, kid, jwk };
}

/** A compact JWS (ES256), its signature in the raw r||s form JOSE asks for. */
function jwt(key: SigningKey, claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'ES256', typ: 'JWT', kid: key.kid })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), {
    key: key.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signed}.${signature.toString('base64url')}`;
}

/** `repository:acme/plugin:pull,push` scopes, each granted as asked. */
function grants(scope: string): { type: string; name: string; actions: string[] }[] {
  return scope
    .split(' ')
    .filter(Boolean)
    .map((one) => {
      const [type = '', ...rest] = one.split(':');
      const actions = rest.pop() ?? '';
      return { type, name: rest.join(':'), actions: actions.split(',').filter(Boolean) };
    });
}

function basicUser(authorization: string, users: Readonly<Record<string, string>>): string {
  const match = /^Basic\s+(\S+)$/i.exec(authorization);
  if (!match?.[1]) return '';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && users[user] === decoded.slice(colon + 1) ? user : '';
}
