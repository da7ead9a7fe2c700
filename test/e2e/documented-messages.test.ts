import { copyFile, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { makeZip, sha256sums } from '../../lab/archives.ts';
import { makePki, type Pki } from '../../lab/certs.ts';
import {
  documentedMessages,
  shows,
  summaryText,
  type DocumentedMessage,
} from '../../lab/documented-messages.ts';
import { startFaultProxy } from '../../lab/fault-proxy.ts';
import { makeSigningKey } from '../../lab/gpg.ts';
import { startMeddler, type ProxiedRequest } from '../../lab/meddler.ts';
import { fixtureBinary, type ServerKind } from '../../lab/paths.ts';
import { startRedirector } from '../../lab/redirector.ts';
import {
  startReleaseServer,
  type ReleaseServer,
  type ReleaseSpec,
} from '../../lab/release-server.ts';
import { pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { rawCall } from '../../lab/server-http.ts';
import { freePort } from '../../lab/server-process.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

// Every message the README's Troubleshooting and failure-mode tables quote is
// made to happen here, against a real server, and the real error line (or
// job summary) must show it as quoted: the documentation cannot drift from
// what a user sees. Each scenario names the quotes it shows by a piece of
// their text; a quote no scenario shows fails the first test.
//
// The README's examples name the plugin acme-secrets, its repository
// acme/acme-secrets and its mount acme, and so does the lab here; versions in
// a quote stand for the run's own.

const SERVER = serverUnderTest();
const GITHUB_TOKEN = 'ghs_documentedmessages';
const PLUGIN = 'acme-secrets';
const REPOSITORY = 'acme/acme-secrets';
const ARTIFACT = 'acme-secrets_{version}_{os}_{arch}.zip';
const SCRATCH_VERSIONS = ['v1.0.1', 'v1.0.2', 'v1.1.0'];

let pki: Pki;
let server: LabServer;
let github: ReleaseServer;
let work: string;
/** The server's TLS listener, as a user's `url` is. */
let url = '';
let v100 = '';
/** What the current scenario started, stopped after it in reverse order. */
const closing: (() => unknown)[] = [];

beforeAll(async () => {
  pki = await makePki();
  [server, github] = await Promise.all([
    startServer(SERVER, { tlsListeners: [pki.server] }),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  url = server.tlsAddresses[0] ?? '';
  work = await mkdtemp(join(tmpdir(), 'lab-messages-'));
  for (const [kind, version] of [
    ['secrets', 'v1.0.1'],
    ['secrets', 'v1.1.0'],
    ['broken', 'v1.0.2'],
  ] as const) {
    github.publish(release(kind, version));
  }
  v100 = (await installPlugin(server, 'secret', PLUGIN, 'secrets', 'v1.0.0')).sha256;
  await enableMount(server, 'secret', 'acme', PLUGIN, 'v1.0.0');
}, 120_000);

afterEach(async () => {
  while (closing.length > 0) await closing.pop()?.();
  await reset();
}, 60_000);

afterAll(async () => {
  await Promise.all([server.stop(), github.close(), pki.remove()]);
  await rm(work, { recursive: true, force: true });
}, 60_000);

function release(kind: 'secrets' | 'broken', version: string, repo = 'acme-secrets'): ReleaseSpec {
  return pluginRelease({ server: SERVER, repo, name: PLUGIN, kind, version, format: 'zip' });
}

/** Puts everything back as beforeAll left it: acme on v1.0.0, no other version, no pin. */
async function reset(): Promise<void> {
  const call = (method: string, path: string, body?: unknown) =>
    rawCall(server.address, server.token, method, path, body);
  if (SERVER === 'vault') await call('DELETE', `sys/plugins/pins/secret/${PLUGIN}`);
  const mount = await call('GET', 'sys/mounts/acme');
  if (mount.status !== 200 || (JSON.parse(mount.text) as { type?: string }).type !== PLUGIN) {
    await call('DELETE', 'sys/mounts/acme');
    await enableMount(server, 'secret', 'acme', PLUGIN, 'v1.0.0');
  }
  const command = `${PLUGIN}-v1.0.0`;
  const files = await readdir(server.pluginDir);
  if (!files.includes(command)) {
    await copyFile(fixtureBinary(SERVER, 'secrets', 'v1.0.0'), join(server.pluginDir, command));
  }
  await server.api('POST', 'sys/mounts/acme/tune', { plugin_version: 'v1.0.0' });
  await server.api('PUT', 'sys/plugins/reload/backend', { mounts: ['acme'] });
  for (const version of SCRATCH_VERSIONS) {
    await call('DELETE', `sys/plugins/catalog/secret/${PLUGIN}?version=${version}`);
    await call('DELETE', `sys/plugins/catalog/secret/kv?version=${version}`);
  }
  for (const file of files) {
    if (file !== command) await rm(join(server.pluginDir, file), { force: true });
  }
  const live = await liveMount(server, 'secret', 'acme');
  if (live.runningSha256 !== v100) throw new Error(`lab reset: acme runs ${live.runningSha256}`);
}

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    url,
    'ca-certificate': pki.caFile,
    token: server.token,
    'github-token': GITHUB_TOKEN,
    'plugin-name': PLUGIN,
    artifact: ARTIFACT,
    'plugin-directory': server.pluginDir,
    mounts: 'acme',
    ...extra,
  };
}

/** A run on a push of the version's tag, as the README's release workflow runs. */
function rollout(
  version: string,
  extra: Record<string, string> = {},
  options: Partial<RunOptions> = {},
): Promise<RunResult> {
  return runAction({
    ref: `refs/tags/${version}`,
    repository: REPOSITORY,
    apiUrl: github.apiUrl,
    inputs: inputs(extra),
    ...options,
  });
}

/** A rollout through a proxy that, on the first request `when` picks, first lets `act` change the server. */
async function meddled(
  version: string,
  extra: Record<string, string>,
  when: (request: ProxiedRequest, seen: readonly ProxiedRequest[]) => boolean,
  act: () => Promise<void>,
): Promise<RunResult> {
  const meddler = await startMeddler(server.address, when, act);
  closing.push(() => meddler.close());
  const run = await rollout(version, { ...extra, url: meddler.url });
  if (!meddler.acted()) throw new Error(`the meddler never acted:\n${run.log}`);
  return run;
}

const isTune = (r: ProxiedRequest): boolean =>
  r.method !== 'GET' && r.path === 'sys/mounts/acme/tune';
const isReload = (r: ProxiedRequest): boolean => r.path === 'sys/plugins/reload/backend';

/** A TCP port that accepts connections and never answers, as a hung server or a black hole does. */
async function hungServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const hung: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  closing.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
  });
  const address = hung.address();
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return `http://127.0.0.1:${String(address.port)}`;
}

/** Puts a build of v1.0.1 (the release's, or a re-published one) in the plugin directory as `to`; returns its SHA-256. */
async function placeV101(flavor: '' | 'republished', to: string): Promise<string> {
  const from = fixtureBinary(SERVER, 'secrets', 'v1.0.1', flavor);
  await copyFile(from, join(server.pluginDir, to));
  return sha256File(from);
}

interface Scenario {
  title: string;
  /** A piece of each documented message the run must show; each names exactly one quote. */
  shows: string[];
  /** The server whose behaviour it needs; both by default. */
  only?: ServerKind;
  run: () => Promise<RunResult>;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'an empty required input',
    shows: ['required, but empty'],
    run: () => rollout('v1.0.1', { 'plugin-name': '' }),
  },
  {
    title: 'a malformed input',
    shows: ['"<value>" is not'],
    run: () => rollout('v1.0.1', { 'dry-run': 'yes' }),
  },
  {
    title: 'a version with no release',
    shows: ['no release tagged'],
    run: () =>
      runAction({
        repository: REPOSITORY,
        apiUrl: github.apiUrl,
        inputs: inputs({ version: 'v1.0.9' }),
      }),
  },
  {
    title: 'an asset name the release does not have',
    shows: ['has no asset named'],
    run: () => rollout('v1.0.1', { artifact: 'acme-secrets_{version}_plan9_{arch}.zip' }),
  },
  {
    title: 'a release without a checksums file',
    shows: ['nothing vouches for'],
    run: () => {
      github.publish(
        pluginRelease({
          server: SERVER,
          repo: 'acme-secrets-unsummed',
          name: PLUGIN,
          kind: 'secrets',
          version: 'v1.0.1',
          format: 'zip',
          sums: false,
        }),
      );
      return rollout('v1.0.1', { 'release-repository': 'acme/acme-secrets-unsummed' });
    },
  },
  {
    title: 'a checksums file that lists other files',
    shows: ['has no entry for'],
    run: async () => {
      const sums = join(work, 'SHA256SUMS');
      await writeFile(sums, `${'0'.repeat(64)}  acme-secrets_1.0.1_linux_arm64.zip\n`);
      return rollout('v1.0.1', { checksums: sums });
    },
  },
  {
    title: 'a signing key given for unsigned checksums',
    shows: ['there is no signature'],
    run: () => {
      const author = makeSigningKey('Plugin Author <author@example.test>');
      closing.push(() => {
        author.close();
      });
      return rollout('v1.0.1', { 'gpg-public-key': author.publicKey });
    },
  },
  {
    title: 'a download redirected from https to http',
    shows: ['redirected from https to http://'],
    run: async () => {
      const mirror = await startRedirector({ to: github.apiUrl, tls: pki.server });
      closing.push(() => mirror.close());
      return rollout(
        'v1.0.1',
        { artifact: `${mirror.url}/${ARTIFACT}` },
        { env: { NODE_EXTRA_CA_CERTS: pki.caFile } },
      );
    },
  },
  {
    title: 'an archive member that climbs out',
    shows: ['points outside the archive'],
    run: async () => {
      const binary = await readFile(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
      const asset = {
        name: 'acme-secrets_1.0.1_linux_amd64.zip',
        data: makeZip([{ name: `../${PLUGIN}`, data: binary, mode: 0o755 }]),
      };
      github.publish({
        owner: 'acme',
        repo: 'acme-secrets-traversal',
        tag: 'v1.0.1',
        assets: [asset, { name: 'acme-secrets_1.0.1_SHA256SUMS', data: sha256sums([asset]) }],
      });
      return rollout('v1.0.1', { 'release-repository': 'acme/acme-secrets-traversal' });
    },
  },
  {
    title: 'a damaged zip',
    shows: ['zip archive is damaged'],
    run: async () => {
      const whole = release('secrets', 'v1.0.1').assets[0];
      if (!whole) throw new Error('the release has no asset');
      const asset = { name: whole.name, data: whole.data.subarray(0, whole.data.length - 40) };
      github.publish({
        owner: 'acme',
        repo: 'acme-secrets-damaged',
        tag: 'v1.0.1',
        assets: [asset, { name: 'acme-secrets_1.0.1_SHA256SUMS', data: sha256sums([asset]) }],
      });
      return rollout('v1.0.1', { 'release-repository': 'acme/acme-secrets-damaged' });
    },
  },
  {
    title: 'a GitHub OIDC login in a job that may not request a token',
    shows: ['cannot request a GitHub OIDC token'],
    run: () => rollout('v1.0.1', { method: 'jwt', role: 'plugin-deployer' }),
  },
  {
    title: 'a namespace OpenBao does not have',
    only: 'openbao',
    shows: ['team-a does not exist on https://'],
    run: () => rollout('v1.0.1', { namespace: 'team-a' }),
  },
  {
    title: 'a namespace on Vault community edition',
    only: 'vault',
    shows: ['Vault community edition has no namespaces'],
    run: () => rollout('v1.0.1', { namespace: 'team-a' }),
  },
  {
    title: 'a redirect to a server nobody named',
    shows: ['is neither the url server nor a node'],
    run: async () => {
      const port = await freePort();
      const front = await startRedirector({ to: `https://localhost:${port}`, tls: pki.server });
      closing.push(() => front.close());
      return rollout('v1.0.1', { url: front.url });
    },
  },
  {
    title: 'a redirect from https to http',
    shows: ['it leaves https for http'],
    run: async () => {
      const front = await startRedirector({ to: server.address, tls: pki.server });
      closing.push(() => front.close());
      return rollout('v1.0.1', { url: front.url });
    },
  },
  {
    title: 'a server address nothing listens on',
    shows: ['GET /v1/sys/', 'Nothing was written to the server.'],
    run: async () => rollout('v1.0.1', { url: `https://127.0.0.1:${await freePort()}` }),
  },
  {
    title: 'a token without sudo on the catalog',
    shows: ['the token lacks "sudo"'],
    run: async () => {
      await server.api('PUT', 'sys/policies/acl/no-sudo', {
        policy: [
          `path "sys/plugins/catalog/secret/${PLUGIN}" { capabilities = ["read", "update"] }`,
          'path "sys/mounts" { capabilities = ["read"] }',
          'path "sys/mounts/acme/tune" { capabilities = ["update"] }',
          'path "sys/plugins/reload/backend" { capabilities = ["update"] }',
        ].join('\n'),
      });
      const created = await server.api<{ auth: { client_token: string } }>(
        'POST',
        'auth/token/create',
        { policies: ['no-sudo'], ttl: '10m' },
      );
      return rollout('v1.0.1', { token: created?.auth.client_token ?? '' });
    },
  },
  {
    title: 'a version registered before with another binary',
    shows: ['versions are immutable'],
    run: async () => {
      const command = `${PLUGIN}-republished`;
      const sha256 = await placeV101('republished', command);
      await server.api('PUT', `sys/plugins/catalog/secret/${PLUGIN}`, {
        sha256,
        command,
        version: 'v1.0.1',
      });
      return rollout('v1.0.1');
    },
  },
  {
    title: 'another file under the plugin file name',
    shows: ['refusing to overwrite it'],
    run: async () => {
      await placeV101('republished', `${PLUGIN}-v1.0.1`);
      return rollout('v1.0.1');
    },
  },
  {
    title: 'no plugin-directory and no binary on the server',
    shows: ['has no file', '❌ Failed'],
    run: () => rollout('v1.0.1', { 'plugin-directory': '' }),
  },
  {
    title: 'a catalog command that is no plain file name',
    shows: ['is not a file name directly in the plugin directory'],
    run: async () => {
      const command = `${PLUGIN}\\v1.0.1`;
      const sha256 = await placeV101('', command);
      await server.api('PUT', `sys/plugins/catalog/secret/${PLUGIN}`, {
        sha256,
        command,
        version: 'v1.0.1',
      });
      return rollout('v1.0.1');
    },
  },
  {
    title: 'a symbolic link planted at the plugin file name',
    shows: ['is a symbolic link to'],
    run: async () => {
      const victim = join(work, 'victim');
      await writeFile(victim, 'not yours\n');
      await symlink(victim, join(server.pluginDir, `${PLUGIN}-v1.0.1`));
      return rollout('v1.0.1');
    },
  },
  {
    title: 'a mount that does not exist',
    shows: ['mounts: <path> does not exist'],
    run: () => rollout('v1.0.1', { mounts: 'nowhere' }),
  },
  {
    title: 'a mount of another plugin',
    shows: ['runs plugin kv'],
    run: () => rollout('v1.0.1', { mounts: 'secret' }),
  },
  {
    title: 'a canary outside the mounts',
    shows: ['canary: <path>'],
    run: () => rollout('v1.0.1', { canary: 'team-a/acme' }),
  },
  {
    title: 'a pin at another version',
    only: 'vault',
    shows: ['to move the pin to'],
    run: async () => {
      await server.api('POST', `sys/plugins/pins/secret/${PLUGIN}`, { version: 'v1.0.0' });
      return rollout('v1.0.1');
    },
  },
  {
    title: 'a pin at the target while a mount must be tuned',
    only: 'vault',
    shows: ['refuses to tune a mount'],
    run: async () => {
      await installPlugin(server, 'secret', PLUGIN, 'secrets', 'v1.0.1');
      await server.api('POST', `sys/plugins/pins/secret/${PLUGIN}`, { version: 'v1.0.1' });
      return rollout('v1.0.1');
    },
  },
  {
    title: 'pin: true on OpenBao',
    only: 'openbao',
    shows: ['has no plugin pins'],
    run: () => rollout('v1.0.1', { pin: 'true' }),
  },
  {
    title: 'a build of kv',
    shows: ['serves kv mounts'],
    run: async () => {
      const binary = fixtureBinary(SERVER, 'secrets', 'v1.0.1');
      return rollout('v1.0.1', {
        'plugin-name': 'kv',
        mounts: 'secret',
        artifact: binary,
        sha256: await sha256File(binary),
      });
    },
  },
  {
    title: 'a mount the server serves with its own code after the reload',
    only: 'vault',
    shows: ['but an empty running_sha256'],
    // Someone replaces the mount by a kv mount tuned to a registered kv
    // build right before the reload: Vault names the tuned version as
    // running, but its builtin kv answers.
    run: () =>
      meddled('v1.0.1', { 'verify-timeout': '1' }, isReload, async () => {
        await server.api('DELETE', 'sys/mounts/acme');
        // Enabled first: Vault refuses to enable kv while a build of it is registered.
        await server.api('POST', 'sys/mounts/acme', { type: 'kv' });
        const sha256 = await placeV101('', 'kv-v1.0.1');
        await server.api('PUT', 'sys/plugins/catalog/secret/kv', {
          sha256,
          command: 'kv-v1.0.1',
          version: 'v1.0.1',
        });
        await server.api('POST', 'sys/mounts/acme/tune', { plugin_version: 'v1.0.1' });
      }),
  },
  {
    title: 'a binary that cannot start',
    shows: [
      'cannot reload plugin on "acme/"',
      '— rolled back: every touched mount',
      '↩️ Rolled back',
    ],
    run: () => rollout('v1.0.2'),
  },
  {
    title: 'a mount moved back by someone else after it was verified and probed',
    shows: ['verification failed: …'],
    run: () =>
      meddled(
        'v1.0.1',
        { probe: 'info' },
        (r) => r.method === 'GET' && r.path === 'acme/info',
        async () => {
          await server.api('POST', 'sys/mounts/acme/tune', { plugin_version: 'v1.0.0' });
        },
      ),
  },
  {
    title: 'a mount that does not run the new binary in time',
    shows: ['failed after <seconds>s'],
    run: () =>
      meddled('v1.0.1', { 'verify-timeout': '1' }, isReload, async () => {
        await server.api('POST', 'sys/mounts/acme/tune', { plugin_version: 'v1.0.0' });
      }),
  },
  {
    title: 'a probe the plugin does not answer',
    shows: ['probe: GET'],
    run: () => rollout('v1.0.1', { probe: 'missing-path' }),
  },
  {
    title: 'a rollback whose previous binary is gone',
    shows: ['and the rollback failed'],
    run: () =>
      meddled(
        'v1.0.2',
        {},
        (r, seen) => isReload(r) && seen.filter(isTune).length >= 2,
        async () => {
          await rm(join(server.pluginDir, `${PLUGIN}-v1.0.0`));
        },
      ),
  },
  {
    title: 'a sealed server',
    shows: ['answered 503'],
    run: async () => {
      const sealed = await startServer(SERVER);
      closing.push(() => sealed.stop());
      await sealed.api('PUT', 'sys/seal');
      return rollout('v1.0.1', { url: sealed.address, token: sealed.token, 'ca-certificate': '' });
    },
  },
  {
    title: 'a server that never answers',
    shows: ['GET …: no answer from'],
    run: async () =>
      rollout('v1.0.1', { url: await hungServer(), 'ca-certificate': '', timeout: '4' }),
  },
  {
    title: 'a 503 that a retry overcomes',
    shows: ['✅ Rolled out'],
    run: async () => {
      const proxy = await startFaultProxy(server.address);
      closing.push(() => proxy.close());
      proxy.arm(1, '503');
      const run = await rollout('v1.0.1', { url: proxy.url, 'ca-certificate': '' });
      if (!proxy.fired()) throw new Error('the fault was never injected');
      return run;
    },
  },
  {
    title: 'a mount moved by someone else between the plan and the writes',
    shows: ['the server changed since the plan was made', 'Nothing to roll back'],
    run: () =>
      meddled(
        'v1.0.1',
        {},
        (r) => r.method !== 'GET' && r.path === `sys/plugins/catalog/secret/${PLUGIN}`,
        async () => {
          await installPlugin(server, 'secret', PLUGIN, 'secrets', 'v1.1.0');
          await server.api('POST', 'sys/mounts/acme/tune', { plugin_version: 'v1.1.0' });
        },
      ),
  },
];

const MESSAGES = documentedMessages();

/** The one documented message a scenario's piece names: the quote itself, or the only one holding it. */
function named(piece: string): DocumentedMessage[] {
  const exact = MESSAGES.filter((m) => m.quote === piece);
  return exact.length > 0 ? exact : MESSAGES.filter((m) => m.quote.includes(piece));
}

describe('the documented messages', () => {
  it('are each shown by a scenario below, and each scenario names quotes that exist', () => {
    expect(MESSAGES.length).toBeGreaterThan(35);
    const ambiguous = SCENARIOS.flatMap((s) =>
      s.shows.filter((piece) => named(piece).length !== 1).map((piece) => `${s.title}: ${piece}`),
    );
    expect(ambiguous).toEqual([]);
    const shown = new Set(SCENARIOS.flatMap((s) => s.shows.flatMap(named)));
    expect(MESSAGES.filter((m) => !shown.has(m)).map((m) => `${m.where}: ${m.quote}`)).toEqual([]);
  });

  for (const scenario of SCENARIOS.filter((s) => !s.only || s.only === SERVER)) {
    it(`${scenario.title}: ${scenario.shows.join(' / ')}`, async () => {
      const run = await scenario.run();
      for (const message of scenario.shows.flatMap(named)) {
        const where =
          message.shownIn === 'error'
            ? `error lines:\n${run.errors.join('\n') || '(none)'}`
            : `summary:\n${summaryText(run.summary)}`;
        expect(shows(message, run), `${message.quote}\nis not in the ${where}`).toBe(true);
      }
    }, 120_000);
  }
});
