// A Kubernetes API server that answers TokenReview, for the kubernetes auth method.
import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Pki } from './certs.ts';

export const CLUSTER_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccount {
  namespace: string;
  name: string;
  uid: string;
}

export interface Cluster {
  /** `kubernetes_host` for the auth method: the API server's HTTPS base URL. */
  host: string;
  /** The bearer the API server accepts for TokenReview, as `token_reviewer_jwt`. */
  reviewerToken: string;
  /** Every TokenReview the API server answered, for the test to inspect. */
  reviews: { token: string; audiences: string[]; authenticated: boolean }[];
  /** A projected service account token, signed by the cluster's key. */
  issue(account: ServiceAccount): string;
  close(): Promise<void>;
}

interface Claims {
  aud?: string[];
  exp?: number;
  'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string; uid?: string } };
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** A JWT signed with RS256 by `key`, shaped like a kubelet's projected service account token. */
export function signServiceAccountToken(key: KeyObject, account: ServiceAccount): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', kid: 'lab', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      aud: [CLUSTER_AUDIENCE],
      iss: CLUSTER_AUDIENCE,
      sub: `system:serviceaccount:${account.namespace}:${account.name}`,
      iat: now,
      nbf: now,
      exp: now + 600,
      'kubernetes.io': {
        namespace: account.namespace,
        pod: { name: 'runner-0', uid: randomUUID() },
        serviceaccount: { name: account.name, uid: account.uid },
      },
    }),
  );
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** The claims of a token this cluster signed and that has not expired; null for anything else. */
function validClaims(token: string, publicKey: KeyObject): Claims | null {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const signed = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  if ((claims.exp ?? 0) < Date.now() / 1000) return null;
  return claims;
}

/**
 * A Kubernetes API server on loopback HTTPS that answers only what the
 * kubernetes auth method asks: `POST /apis/authentication.k8s.io/v1/tokenreviews`.
 * As the real API server, it authenticates the caller's bearer, then judges
 * the reviewed token by its own signing key and expiry, and reports the
 * audiences the token holds among those asked for.
 */
export async function startKubernetesApi(pki: Pki): Promise<Cluster> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const verifyingKey = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
  const reviewerToken = `lab-reviewer-${randomBytes(16).toString('hex')}`;
  const reviews: Cluster['reviews'] = [];
  const server: Server = createServer(
    {
      key: await readFile(pki.server.keyFile),
      cert: await readFile(pki.server.certFile),
    },
    (req, res) => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/apis/authentication.k8s.io/v1/tokenreviews') {
        reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 });
        return;
      }
      if (req.headers.authorization !== `Bearer ${reviewerToken}`) {
        reply(401, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        });
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const review = JSON.parse(body) as { spec?: { token?: string; audiences?: string[] } };
        const token = review.spec?.token ?? '';
        const asked = review.spec?.audiences ?? [];
        const claims = validClaims(token, verifyingKey);
        const held = claims?.aud ?? [];
        const audiences = asked.length > 0 ? held.filter((a) => asked.includes(a)) : held;
        const account = claims?.['kubernetes.io'];
        const authenticated = claims !== null && audiences.length > 0;
        reviews.push({ token, audiences: asked, authenticated });
        const status = authenticated
          ? {
              authenticated: true,
              user: {
                username: `system:serviceaccount:${account?.namespace ?? ''}:${account?.serviceaccount?.name ?? ''}`,
                uid: account?.serviceaccount?.uid ?? '',
                groups: [
                  'system:serviceaccounts',
                  `system:serviceaccounts:${account?.namespace ?? ''}`,
                  'system:authenticated',
                ],
              },
              audiences,
            }
          : {
              user: {},
              error: '[invalid bearer token, square/go-jose: error in cryptographic primitive]',
            };
        // The API server answers a created TokenReview with 201 and echoes the spec.
        reply(201, {
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec: review.spec ?? {},
          status,
        });
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reviewerToken,
    reviews,
    issue: (account) => signServiceAccountToken(privateKey, account),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
