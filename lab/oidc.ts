// The runner's OIDC ID token endpoint, for the jwt login.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';

export interface OidcIssuer {
  /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, as the runner sets them. */
  env: Record<string, string>;
  /** The PEM to put in the jwt auth method's `jwt_validation_pubkeys`. */
  publicKeyPem: string;
  /** Every token handed out, to prove none of them leaks. */
  issued: string[];
  audiences: string[];
  close(): Promise<void>;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The runner's OIDC token endpoint on loopback: a GET with the request token as
 * bearer and `&audience=`, answering `{"value": "<jwt>"}` signed with a key made here.
 */
export async function startOidcIssuer(claims: Record<string, unknown>): Promise<OidcIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const requestToken = `lab-idreq-${randomBytes(12).toString('hex')}`;
  const issued: string[] = [];
  const audiences: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${requestToken}`) {
      res.writeHead(401).end('{"message":"bad request token"}');
      return;
    }
    const audience = url.searchParams.get('audience') ?? 'https://github.com/acme';
    audiences.push(audience);
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        iss: 'https://token.actions.githubusercontent.com',
        aud: audience,
        iat: now,
        nbf: now - 5,
        exp: now + 300,
        jti: randomBytes(8).toString('hex'),
        ...claims,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
    const jwt = `${header}.${payload}.${base64url(signature)}`;
    issued.push(jwt);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: jwt }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${address.port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    issued,
    audiences,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
