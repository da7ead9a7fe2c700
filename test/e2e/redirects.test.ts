import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { makePki, type Pki } from '../../lab/certs.ts';
import { startCluster, type LabCluster, type ClusterNode } from '../../lab/cluster.ts';
import { startOidcIssuer, type OidcIssuer } from '../../lab/oidc.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { serverUnderTest } from '../../lab/server.ts';
import {
  startRecorder,
  startRedirector,
  startStandbyFront,
  type LabServer,
  type Recorder,
} from '../../lab/redirector.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';

const SERVER = serverUnderTest();

// A redirect may lead only where the user pointed the action: the url server
// or a node listed in nodes, over the same scheme. The token and every login
// body (AppRole secret-id, GitHub OIDC JWT, Kubernetes service account JWT)
// must never reach another origin.

describe('a redirect to an origin the user did not name', () => {
  let pki: Pki;
  let recorder: Recorder;
  let overHttp: LabServer;
  let overHttps: LabServer;
  let issuer: OidcIssuer;
  let work: string;

  beforeAll(async () => {
    pki = await makePki();
    recorder = await startRecorder();
    [overHttp, overHttps, issuer] = await Promise.all([
      startRedirector({ to: recorder.url }),
      startRedirector({ to: recorder.url, tls: pki.server }),
      startOidcIssuer({ repository: 'acme/acme-plugin' }),
    ]);
    work = await mkdtemp(join(tmpdir(), 'lab-redirects-'));
  });

  beforeEach(() => {
    recorder.received.splice(0);
  });

  afterAll(async () => {
    await Promise.all([recorder.close(), overHttp.close(), overHttps.close(), issuer.close()]);
    await Promise.all([pki.remove(), rm(work, { recursive: true, force: true })]);
  });

  /** Inputs that need no artifact: every request of the run goes to the server. */
  function run(inputs: Record<string, string>, env: Record<string, string> = {}) {
    return runAction({
      inputs: { 'plugin-name': 'totp', mounts: 'totp', 'revert-to-builtin': 'true', ...inputs },
      env,
    });
  }

  function secret(label: string): string {
    return `${label}-${randomBytes(12).toString('hex')}`;
  }

  /** The run failed on the redirect, named both ends, and the other origin got nothing at all. */
  function expectRefused(run: RunResult, from: LabServer, secrets: string[]): void {
    expect(run.exitCode, run.log).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`redirect from ${from.url} to ${recorder.url} refused`);
    expect(run.errors[0]).toContain(`nothing was sent to ${recorder.host}`);
    const seen = JSON.stringify(recorder.received);
    for (const value of secrets) expect(seen).not.toContain(value);
    expect(recorder.received).toEqual([]);
  }

  it('keeps a token from another origin over http', async () => {
    const token = secret('hvs');
    const result = await run({ url: overHttp.url, token });
    expectRefused(result, overHttp, [token]);
    expect(result.errors[0]).toContain('is neither the url server nor a node listed in nodes');
  });

  it('keeps an AppRole role-id and secret-id from another origin', async () => {
    const [roleId, secretId] = [secret('role'), secret('secret')];
    const result = await run({
      url: overHttp.url,
      method: 'approle',
      'role-id': roleId,
      'secret-id': secretId,
    });
    expectRefused(result, overHttp, [roleId, secretId]);
    expect(result.errors[0]).toMatch(/^login with approle at auth\/approle failed: POST /);
  });

  it('keeps the GitHub OIDC token from another origin', async () => {
    const result = await run(
      { url: overHttp.url, method: 'jwt', role: 'deployer', 'jwt-audience': 'https://vault' },
      issuer.env,
    );
    expect(issuer.issued.length).toBeGreaterThan(0);
    expectRefused(result, overHttp, issuer.issued);
  });

  it('keeps a Kubernetes service account token from another origin', async () => {
    const jwt = secret('eyJk8s');
    const file = join(work, 'token');
    await writeFile(file, jwt);
    const result = await run({
      url: overHttp.url,
      method: 'kubernetes',
      role: 'deployer',
      'kubernetes-token-file': file,
    });
    expectRefused(result, overHttp, [jwt]);
  });

  it('never follows https to http, even to an origin listed in nodes', async () => {
    const token = secret('hvs');
    const secretId = secret('secret');
    const withToken = await run({ url: overHttps.url, token, 'ca-certificate': pki.caPem });
    expectRefused(withToken, overHttps, [token]);
    expect(withToken.errors[0]).toContain('it leaves https for http');

    const listed = await run({
      url: overHttps.url,
      method: 'approle',
      'role-id': secret('role'),
      'secret-id': secretId,
      'ca-certificate': pki.caPem,
      nodes: `${overHttps.url}\n${recorder.url}`,
    });
    expectRefused(listed, overHttps, [secretId]);
    expect(listed.errors[0]).toContain('it leaves https for http');
  });
});

describe('a standby that answers 307 to the active node', () => {
  const GITHUB_TOKEN = 'ghs_redirectslab';
  let cluster: LabCluster;
  let github: ReleaseServer;
  let active: ClusterNode;
  let front: LabServer;
  let roleId: string;

  beforeAll(async () => {
    // Standbys that serve no reads hand every request to the active node.
    [cluster, github] = await Promise.all([
      startCluster(SERVER, SERVER === 'openbao' ? { nodes: 3, standbyReads: false } : { nodes: 3 }),
      startReleaseServer({ token: GITHUB_TOKEN }),
    ]);
    active = await cluster.active();
    const standby = cluster.nodes.find((node) => node !== active);
    if (!standby) throw new Error('the cluster has no standby');
    front = await startStandbyFront(standby.address);
    const seed = cluster.via(active);
    await installPlugin(seed, 'secret', 'acme', 'secrets', 'v1.0.0');
    await enableMount(seed, 'secret', 'acme', 'acme', 'v1.0.0');
    github.publish(
      pluginRelease({
        server: SERVER,
        name: 'acme',
        kind: 'secrets',
        version: 'v1.0.1',
        format: 'zip',
      }),
    );
    await seed.api('PUT', 'sys/policies/acl/deployer', {
      policy: 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }',
    });
    await seed.api('POST', 'sys/auth/approle', { type: 'approle' });
    await seed.api('POST', 'auth/approle/role/deployer', { token_policies: ['deployer'] });
    roleId =
      (await seed.api<{ data: { role_id: string } }>('GET', 'auth/approle/role/deployer/role-id'))
        ?.data.role_id ?? '';
  }, 120_000);

  afterAll(async () => {
    await Promise.all([cluster.stop(), github.close(), front.close()]);
  });

  async function secretId(): Promise<string> {
    const created = await cluster.api<{ data: { secret_id: string } }>(
      active,
      'POST',
      'auth/approle/role/deployer/secret-id',
    );
    return created?.data.secret_id ?? '';
  }

  function rollout(inputs: Record<string, string>): Promise<RunResult> {
    return runAction({
      ref: 'refs/tags/v1.0.1',
      apiUrl: github.apiUrl,
      inputs: {
        url: front.url,
        method: 'approle',
        'role-id': roleId,
        'github-token': GITHUB_TOKEN,
        'plugin-name': 'acme',
        artifact: assetTemplate('acme', 'zip'),
        'plugin-directory': active.pluginDir,
        mounts: 'acme',
        ...inputs,
      },
    });
  }

  it('is not followed when the active node is not listed in nodes, and nothing reaches it', async () => {
    const login = await secretId();
    const before = (await active.auditRequests()).length;
    const result = await rollout({ 'secret-id': login });

    expect(result.exitCode, result.log).toBe(1);
    expect(result.errors).toEqual([
      expect.stringContaining(
        `redirect from ${front.url} to ${active.address} refused: ${new URL(active.address).host} is neither the url server nor a node listed in nodes`,
      ),
    ]);
    expect(await active.auditRequests()).toHaveLength(before);
    expect(await liveMount(cluster.via(active), 'secret', 'acme')).toMatchObject({
      version: 'v1.0.0',
    });
  });

  it('is followed, login included, when the active node is listed in nodes', async () => {
    const login = await secretId();
    const before = (await active.auditRequests()).length;
    const result = await rollout({
      'secret-id': login,
      nodes: cluster.nodes.map((node) => node.address).join('\n'),
    });

    expect(result.exitCode, result.log).toBe(0);
    const received = (await active.auditRequests()).slice(before).map((e) => e.path);
    expect(received[0]).toBe('auth/approle/login');
    expect(await liveMount(cluster.via(active), 'secret', 'acme')).toMatchObject({
      version: 'v1.0.1',
      runningVersion: 'v1.0.1',
      runningSha256: await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
    });
  });
});
