import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { makePki, type Pki } from '../../lab/certs.ts';
import {
  CLUSTER_AUDIENCE,
  signServiceAccountToken,
  startKubernetesApi,
  type Cluster,
  type ServiceAccount,
} from '../../lab/kubernetes.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const PLUGIN = 'acme-secrets';
const RUNNER: ServiceAccount = {
  namespace: 'ci',
  name: 'rollout-runner',
  uid: '5c0ffee0-1111-4222-8333-944445555666',
};
const DEPLOYER_POLICY = `
path "sys/plugins/catalog/secret/${PLUGIN}" { capabilities = ["read", "update", "sudo"] }
path "sys/mounts" { capabilities = ["read"] }
path "sys/mounts/acme/tune" { capabilities = ["update"] }
path "sys/plugins/reload/backend" { capabilities = ["update"] }
`;
/** Vault 1.16+ has pins, which the action reads (README: Least-privilege policy). */
const VAULT_PIN_POLICY = `path "sys/plugins/pins/secret/${PLUGIN}" { capabilities = ["read"] }\n`;

let pki: Pki;
let server: LabServer;
let github: ReleaseServer;
let cluster: Cluster;
let work: string;

beforeAll(async () => {
  pki = await makePki();
  [server, github, cluster] = await Promise.all([
    startServer(SERVER),
    startReleaseServer(),
    startKubernetesApi(pki),
  ]);
  work = await mkdtemp(join(tmpdir(), 'lab-kubernetes-'));
  await installPlugin(server, 'secret', PLUGIN, 'secrets', 'v1.0.0');
  await enableMount(server, 'secret', 'acme', PLUGIN, 'v1.0.0');
  for (const version of ['v1.0.1', 'v1.1.0']) {
    github.publish(
      pluginRelease({
        server: SERVER,
        repo: PLUGIN,
        name: PLUGIN,
        kind: 'secrets',
        version,
        format: 'zip',
      }),
    );
  }
  await server.api('PUT', 'sys/policies/acl/plugin-rollout', {
    policy: DEPLOYER_POLICY + (SERVER === 'vault' ? VAULT_PIN_POLICY : ''),
  });
  await server.api('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
  // The server is no pod here: the reviewer's bearer and the API server's CA are given, and the
  // pod-local service account files are never looked for.
  await server.api('POST', 'auth/kubernetes/config', {
    kubernetes_host: cluster.host,
    kubernetes_ca_cert: pki.caPem,
    token_reviewer_jwt: cluster.reviewerToken,
    disable_local_ca_jwt: true,
  });
  await server.api('POST', 'auth/kubernetes/role/plugin-deployer', {
    bound_service_account_names: [RUNNER.name],
    bound_service_account_namespaces: [RUNNER.namespace],
    audience: CLUSTER_AUDIENCE,
    token_policies: ['plugin-rollout'],
    token_ttl: '10m',
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([server.stop(), github.close(), cluster.close()]);
  await Promise.all([pki.remove(), rm(work, { recursive: true, force: true })]);
});

async function tokenFile(name: string, token: string): Promise<string> {
  const path = join(work, name);
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}

function rollout(version: string, file: string): RunOptions {
  return {
    ref: `refs/tags/${version}`,
    repository: `acme/${PLUGIN}`,
    apiUrl: github.apiUrl,
    inputs: {
      url: server.address,
      method: 'kubernetes',
      role: 'plugin-deployer',
      'kubernetes-token-file': file,
      'github-token': 'ghs_kubernetestest0123456789',
      'plugin-name': PLUGIN,
      artifact: assetTemplate(PLUGIN, 'zip'),
      'plugin-directory': server.pluginDir,
      mounts: 'acme',
    },
  };
}

function expectNotShown(run: RunResult, secret: string): void {
  for (const text of [run.log, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
    expect(text).not.toContain(secret);
  }
  expect(run.masked).toContain(secret);
}

describe('logging in as the pod: method kubernetes against a TokenReview API', () => {
  it('logs in with the service account token, rolls out, and revokes its token', async () => {
    const token = cluster.issue(RUNNER);
    const mark = await server.auditMark();

    const run = await runAction(rollout('v1.0.1', await tokenFile('token', token)));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
    });
    const writes = (await server.writesSince(mark)).map((w) => w.path);
    expect(writes[0]).toBe('auth/kubernetes/login');
    expect(writes.at(-1)).toBe('auth/token/revoke-self');
    expect(cluster.reviews.at(-1)).toEqual({
      token,
      audiences: [CLUSTER_AUDIENCE],
      authenticated: true,
    });
    expect(run.summary).toContain(
      '- Login: kubernetes at auth/kubernetes, role plugin-deployer; token revoked at the end',
    );
    expectNotShown(run, token);
  });

  it('stops with one line and writes nothing when the API server rejects the token', async () => {
    const forged = signServiceAccountToken(
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      RUNNER,
    );
    const mark = await server.auditMark();

    const run = await runAction(rollout('v1.1.0', await tokenFile('forged', forged)));

    expect(run.exitCode).toBe(1);
    expect(cluster.reviews.at(-1)).toMatchObject({ token: forged, authenticated: false });
    const errors = run.log.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toEqual([
      `::error title=Preflight check failed — nothing written::login with kubernetes at auth/kubernetes, role plugin-deployer failed: POST /v1/auth/kubernetes/login answered 403: permission denied (the Kubernetes API did not accept the service account token from ${join(work, 'forged')}: expired, revoked, from another cluster, or not for the role's audience)`,
    ]);
    expect((await server.writesSince(mark)).map((w) => w.path)).toEqual(['auth/kubernetes/login']);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({ version: 'v1.0.1' });
    expectNotShown(run, forged);
  });
  it('names the role binding when the service account is not the bound one, without asking the cluster', async () => {
    const other = cluster.issue({ ...RUNNER, name: 'someone-else' });
    const reviewsBefore = cluster.reviews.length;
    const mark = await server.auditMark();

    const run = await runAction(rollout('v1.1.0', await tokenFile('other', other)));

    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      '::error title=Preflight check failed — nothing written::login with kubernetes at auth/kubernetes, role plugin-deployer failed: POST /v1/auth/kubernetes/login answered 403: service account name not authorized\n',
    );
    expect(cluster.reviews.length).toBe(reviewsBefore);
    expect((await server.writesSince(mark)).map((w) => w.path)).toEqual(['auth/kubernetes/login']);
    expectNotShown(run, other);
  });
});
