import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { makePki, type Pki } from '../../lab/certs.ts';
import { startOidcIssuer, type OidcIssuer } from '../../lab/oidc.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startProxy, viaLabName, type Proxy } from '../../lab/proxy.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions, type RunResult } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const PLUGIN = 'acme-secrets';
const AUDIENCE = 'https://vault.acme.internal';

let pki: Pki;
let server: LabServer;
let github: ReleaseServer;
let issuer: OidcIssuer;
let proxy: Proxy;
let readmePolicy: string;

/**
 * What the README's options table adds for Vault 1.16+, whose pins the
 * action reads: `read` on `sys/plugins/pins/<type>/<name>`.
 */
const VAULT_PIN_POLICY = `path "sys/plugins/pins/secret/${PLUGIN}" {\n  capabilities = ["read"]\n}\n`;

/** The policy exactly as the README prints it, so the two cannot drift apart. */
async function policyFromReadme(): Promise<string> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Least-privilege policy')[1] ?? '';
  const policy = /```hcl\n([\s\S]*?)```/.exec(section)?.[1];
  if (!policy) throw new Error('README.md has no hcl block under "## Least-privilege policy"');
  return policy;
}

async function tokenWithPolicy(name: string, policy: string): Promise<string> {
  await server.api('PUT', `sys/policies/acl/${name}`, { policy });
  const created = await server.api<{ auth: { client_token: string } }>(
    'POST',
    'auth/token/create',
    {
      policies: [name],
      ttl: '10m',
    },
  );
  return created?.auth.client_token ?? '';
}

beforeAll(async () => {
  pki = await makePki();
  [server, github, issuer, proxy] = await Promise.all([
    startServer(SERVER, {
      tlsListeners: [{ ...pki.server }, { ...pki.server, clientCaFile: pki.caFile }],
    }),
    startReleaseServer(),
    startOidcIssuer({
      sub: 'repo:acme/acme-secrets:ref:refs/tags/v1.1.0',
      repository: 'acme/acme-secrets',
    }),
    startProxy(),
  ]);
  readmePolicy = (await policyFromReadme()) + (SERVER === 'vault' ? VAULT_PIN_POLICY : '');
  await installPlugin(server, 'secret', PLUGIN, 'secrets', 'v1.0.0');
  for (const path of ['acme', 'team-a/acme']) {
    await enableMount(server, 'secret', path, PLUGIN, 'v1.0.0');
  }
  for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
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
  await server.api('PUT', 'sys/policies/acl/plugin-rollout', { policy: readmePolicy });
  await server.api('POST', 'sys/auth/approle', { type: 'approle' });
  await server.api('POST', 'auth/approle/role/deployer', { token_policies: ['plugin-rollout'] });
  await server.api('POST', 'sys/auth/github-actions', { type: 'jwt' });
  await server.api('POST', 'auth/github-actions/config', {
    jwt_validation_pubkeys: [issuer.publicKeyPem],
    bound_issuer: 'https://token.actions.githubusercontent.com',
  });
  await server.api('POST', 'auth/github-actions/role/plugin-deployer', {
    role_type: 'jwt',
    user_claim: 'repository',
    bound_audiences: [AUDIENCE],
    bound_claims: { repository: 'acme/acme-secrets' },
    token_policies: ['plugin-rollout'],
    token_ttl: '10m',
  });
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close(), issuer.close(), proxy.close()]);
  await pki.remove();
});

function rollout(
  version: string,
  inputs: Record<string, string>,
  options: Partial<RunOptions> = {},
): RunOptions {
  return {
    ref: `refs/tags/${version}`,
    repository: `acme/${PLUGIN}`,
    apiUrl: github.apiUrl,
    ...options,
    inputs: {
      'plugin-name': PLUGIN,
      'github-token': 'ghs_connecttest0123456789',
      artifact: assetTemplate(PLUGIN, 'zip'),
      'plugin-directory': server.pluginDir,
      mounts: 'acme\nteam-a/acme',
      ...inputs,
    },
  };
}

/** Every place a runner shows or keeps: none may hold a secret. */
function expectNoSecrets(run: RunResult, secrets: string[]): void {
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    for (const text of [run.log, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
      expect(text).not.toContain(secret);
    }
    expect(run.masked).toContain(secret);
  }
}

/** The deployer role's id and a fresh secret id, as a workflow's secrets would hold them. */
async function approleCredentials(): Promise<{ roleId: string; secretId: string }> {
  const role = await server.api<{ data: { role_id: string } }>(
    'GET',
    'auth/approle/role/deployer/role-id',
  );
  const secret = await server.api<{ data: { secret_id: string } }>(
    'POST',
    'auth/approle/role/deployer/secret-id',
  );
  return { roleId: role?.data.role_id ?? '', secretId: secret?.data.secret_id ?? '' };
}

async function expectMountsAt(version: string): Promise<void> {
  const sha = await sha256File(fixtureBinary(SERVER, 'secrets', version));
  for (const path of ['acme', 'team-a/acme']) {
    expect(await liveMount(server, 'secret', path)).toMatchObject({
      version,
      runningVersion: version,
      runningSha256: sha,
    });
  }
}

describe('connecting and logging in like a production workflow', () => {
  it('logs in with AppRole, completes a rollout with exactly the README policy, and revokes its token', async () => {
    const { roleId, secretId } = await approleCredentials();
    const mark = await server.auditMark();

    const run = await runAction(
      rollout('v1.0.1', {
        url: server.address,
        method: 'approle',
        'role-id': roleId,
        'secret-id': secretId,
      }),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    await expectMountsAt('v1.0.1');
    const writes = (await server.writesSince(mark)).map((w) => w.path);
    expect(writes[0]).toBe('auth/approle/login');
    expect(writes.at(-1)).toBe('auth/token/revoke-self');
    expect(writes).toContain(`sys/plugins/catalog/secret/${PLUGIN}`);
    expect(run.summary).toContain(`- ${server.product} community, single node`);
    expect(run.summary).toContain('- Login: approle at auth/approle; token revoked at the end');
    // The login runs alongside the download; its line still reads in the stage that reads the server.
    const connecting = run.log.indexOf('::group::Connect, read the server and plan');
    expect(connecting).toBeGreaterThan(run.log.indexOf('::group::Fetch and verify the artifact'));
    expect(run.log.indexOf('logged in: approle at auth/approle')).toBeGreaterThan(connecting);
    expectNoSecrets(run, [secretId, roleId]);
  });

  it('revokes the token it logged in for alongside the download when the artifact then fails its check', async () => {
    const { roleId, secretId } = await approleCredentials();
    const mark = await server.auditMark();

    const run = await runAction(
      rollout('v1.1.0', {
        url: server.address,
        method: 'approle',
        'role-id': roleId,
        'secret-id': secretId,
        sha256: '0'.repeat(64),
      }),
    );

    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      '::error title=Artifact check failed — nothing written::sha256: the binary ',
    );
    expect(run.log).toContain(`, not the ${'0'.repeat(64)} given`);
    expect((await server.writesSince(mark)).map((w) => w.path)).toEqual([
      'auth/approle/login',
      'auth/token/revoke-self',
    ]);
    expect(run.summary).toContain('- Login: approle at auth/approle; token revoked at the end');
    expect(await catalogEntry(server, 'secret', PLUGIN, 'v1.1.0')).toBeNull();
    await expectMountsAt('v1.0.1');
    expectNoSecrets(run, [secretId, roleId]);
  });

  it('refuses a token without sudo, naming the capability and path, and writes nothing', async () => {
    const token = await tokenWithPolicy('no-sudo', readmePolicy.replace(/, "sudo"/g, ''));
    const mark = await server.auditMark();

    const run = await runAction(rollout('v1.1.0', { url: server.address, token }));

    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      `::error title=Preflight check failed — nothing written::permission: the token lacks "sudo" on sys/plugins/catalog/secret/${PLUGIN} (needed to read the catalog entry; it has read, update)`,
    );
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(server, 'secret', PLUGIN, 'v1.1.0')).toBeNull();
    await expectMountsAt('v1.0.1');
    expectNoSecrets(run, [token]);
  });

  it('logs in with the GitHub OIDC token over TLS through an HTTPS proxy', async () => {
    const [tlsAddress = ''] = server.tlsAddresses;
    const url = viaLabName(tlsAddress, 'vault');
    const run = await runAction(
      rollout(
        'v1.1.0',
        {
          url,
          method: 'jwt',
          'auth-path': 'github-actions',
          role: 'plugin-deployer',
          'jwt-audience': AUDIENCE,
          'ca-certificate': pki.caPem,
        },
        { env: { ...issuer.env, HTTPS_PROXY: proxy.url } },
      ),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    await expectMountsAt('v1.1.0');
    expect(issuer.audiences.at(-1)).toBe(AUDIENCE);
    expect(proxy.tunnels).toContain(new URL(url).host);
    expect(run.summary).toContain(
      '- Login: jwt with the GitHub OIDC token at auth/github-actions, role plugin-deployer',
    );
    expect(issuer.issued.length).toBeGreaterThan(0);
    expectNoSecrets(run, issuer.issued);
    expect(run.stdout).not.toContain(issuer.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
  });

  it('says how to fix a job without the id-token permission, before any write', async () => {
    const mark = await server.auditMark();
    const run = await runAction(
      rollout('v1.0.1', { url: server.address, method: 'jwt', role: 'plugin-deployer' }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      '::error title=Preflight check failed — nothing written::method jwt: this job cannot request a GitHub OIDC token; add "permissions: id-token: write" to the job',
    );
    expect(await server.writesSince(mark)).toEqual([]);
  });

  it('gives up after a few tries when the token service refuses, before any write', async () => {
    const mark = await server.auditMark();
    const run = await runAction(
      rollout(
        'v1.0.1',
        {
          url: server.address,
          method: 'jwt',
          'auth-path': 'github-actions',
          role: 'plugin-deployer',
        },
        { env: { ...issuer.env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'lab-idreq-revoked' } },
      ),
    );
    expect(run.exitCode).toBe(1);
    // The reason is @actions/core's, with the token service's status and its own message.
    expect(run.log).toMatch(
      /::error title=Preflight check failed — nothing written::method jwt: GitHub did not issue an OIDC token after 4 attempts: .*\b401\b.*bad request token\n/,
    );
    expect(run.stdout).not.toContain('lab-idreq-revoked');
    expect(await server.writesSince(mark)).toEqual([]);
  });

  it('connects with mTLS from the VAULT_* environment, and fails clearly without a client certificate', async () => {
    const [, mtlsAddress = ''] = server.tlsAddresses;
    const env = { VAULT_ADDR: mtlsAddress, VAULT_CACERT: pki.caFile, VAULT_TOKEN: server.token };
    const refused = await runAction(rollout('v1.0.0', {}, { env }));
    expect(refused.exitCode).toBe(1);
    // Both servers complete the TLS 1.3 handshake and then drop the connection, so the client sees a close.
    expect(refused.log).toMatch(
      /::error title=Preflight check failed — nothing written::GET \/v1\/sys\/(health|leader): no answer from https:\/\/127\.0\.0\.1:\d+ after 10 attempts in \d+\.\d s: other side closed\n/,
    );
    await expectMountsAt('v1.1.0');

    const run = await runAction(
      rollout(
        'v1.0.0',
        { 'client-certificate': pki.client.certFile, 'client-key': pki.client.keyPem },
        { env },
      ),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    await expectMountsAt('v1.0.0');
    expectNoSecrets(run, [server.token, pki.client.keyPem.split('\n')[1] ?? '']);
  });

  if (SERVER === 'openbao') {
    it('rolls mounts inside a namespace, with the catalog in the root namespace', async () => {
      await server.api('POST', 'sys/namespaces/ns1', {});
      await server.api('POST', 'ns1/sys/mounts/acme', { type: PLUGIN, plugin_version: 'v1.0.0' });
      const run = await runAction(
        rollout('v1.0.1', {
          url: server.address,
          token: server.token,
          namespace: 'ns1',
          mounts: 'acme',
        }),
      );
      expect(run.exitCode, run.stdout).toBe(0);
      const inNamespace = await server.api<{ data: Record<string, string> }>(
        'GET',
        'ns1/sys/mounts/acme',
      );
      expect(inNamespace?.data).toMatchObject({
        plugin_version: 'v1.0.1',
        running_plugin_version: 'v1.0.1',
        running_sha256: await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
      });
      await expectMountsAt('v1.0.0');
      expect(run.summary).toContain('(namespace `ns1`)');
    });
  } else {
    it('refuses a namespace on Vault community edition, which has none, and writes nothing', async () => {
      const mark = await server.auditMark();
      const run = await runAction(
        rollout('v1.0.1', {
          url: server.address,
          token: server.token,
          namespace: 'ns1',
          mounts: 'acme',
        }),
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        "namespace: Vault community edition has no namespaces, so ns1 would act on the root namespace's mounts; remove namespace, or use Vault Enterprise or OpenBao",
      ]);
      expect(await server.writesSince(mark)).toEqual([]);
      await expectMountsAt('v1.0.0');
    });
  }
});
