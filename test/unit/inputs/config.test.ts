import { describe, expect, it } from 'vitest';
import { readConfig, type RolloutConfig } from '../../../src/inputs/config.ts';
import type { InputSource, RunContext } from '../../../src/inputs/source.ts';

function source(values: Record<string, string>, masked: string[] = []): InputSource {
  return {
    get: (name) => values[name] ?? '',
    secret: (name) => {
      const value = values[name] ?? '';
      if (value) masked.push(value);
      return value;
    },
  };
}

function context(overrides: Partial<RunContext> = {}, masked: string[] = []): RunContext {
  return {
    env: {},
    eventName: 'push',
    eventInputs: {},
    ref: 'refs/tags/v1.4.0',
    repository: 'acme/acme-plugin',
    apiUrl: 'https://api.github.com',
    nodePlatform: 'linux',
    nodeArch: 'x64',
    mask: (value) => masked.push(value),
    ...overrides,
  };
}

const minimal = {
  url: 'https://vault.example.com:8200/',
  token: 's.secret',
  'plugin-name': 'acme',
  artifact: 'acme_{version}_{os}_{arch}.zip',
  mounts: 'acme\n# staging is rolled by another job\nteam-a/acme/\n',
  'github-token': 'ghs_x',
};

describe('readConfig', () => {
  it('reads an artifact path with a "/" as a file on the runner, relative to the workspace', () => {
    const config = readConfig(
      source({ ...minimal, artifact: 'dist/acme_{os}_{arch}/acme' }),
      context({ env: { GITHUB_WORKSPACE: '/github/workspace/acme' } }),
    );
    expect(config.artifact).toMatchObject({
      kind: 'file',
      path: '/github/workspace/acme/dist/acme_linux_amd64/acme',
    });
  });

  it('reads the verification inputs, with a templated checksums file and sizes with units', () => {
    const config = readConfig(
      source({
        ...minimal,
        checksums: 'acme_{version}_SHA256SUMS',
        sha256: `SHA256:${'AB'.repeat(32)}`,
        'max-size': '1.5GiB',
      }),
      context(),
    );
    expect(config.trust).toMatchObject({
      checksums: 'acme_1.4.0_SHA256SUMS',
      sha256: 'ab'.repeat(32),
      maxBytes: 1.5 * 1024 ** 3,
      allowDraft: false,
    });
    expect(readConfig(source(minimal), context()).trust.maxBytes).toBe(512 * 1024 ** 2);
  });

  it('takes the version and release tag from a tag push', () => {
    const config = readConfig(source(minimal), context());
    expect(config.version).toBe('v1.4.0');
    expect(config.artifact).toMatchObject({
      kind: 'release',
      owner: 'acme',
      repo: 'acme-plugin',
      tags: ['v1.4.0'],
      asset: 'acme_1.4.0_linux_amd64.zip',
    });
    expect(config.url).toBe('https://vault.example.com:8200');
    expect(config.targets).toEqual(['acme', 'team-a/acme']);
    expect(config.command).toBe('acme-v1.4.0');
    expect(config.reloadScope).toBe('global');
  });

  it('takes the version from a workflow_dispatch input and tries both tag spellings', () => {
    const config = readConfig(
      source(minimal),
      context({
        eventName: 'workflow_dispatch',
        eventInputs: { version: '1.2' },
        ref: 'refs/heads/main',
      }),
    );
    expect(config.version).toBe('v1.2.0');
    expect(config.artifact?.kind === 'release' && config.artifact.tags).toEqual([
      'v1.2.0',
      '1.2',
      '1.2.0',
    ]);
  });

  it('prefers an explicit version over the event', () => {
    const config = readConfig(source({ ...minimal, version: 'v2.0.0-rc.1' }), context());
    expect(config.version).toBe('v2.0.0-rc.1');
  });

  it('falls back to the Vault and OpenBao environment, masking the token', () => {
    const masked: string[] = [];
    const { url: _url, token: _token, ...rest } = minimal;
    const config = readConfig(
      source(rest),
      context(
        {
          env: {
            BAO_ADDR: 'http://127.0.0.1:8200',
            BAO_TOKEN: 'env-token',
            VAULT_NAMESPACE: 'team-a/',
          },
        },
        masked,
      ),
    );
    expect(config).toMatchObject({
      url: 'http://127.0.0.1:8200',
      auth: { method: 'token', token: 'env-token' },
      namespace: 'team-a',
    });
    expect(masked).toContain('env-token');
  });

  it('reads several namespaces, one a line, in order, the first one first', () => {
    const config = readConfig(
      source({ ...minimal, namespace: 'team-b\n# team-c moves next week\n/team-a/prod/\n' }),
      context(),
    );
    expect(config.namespaces).toEqual(['team-b', 'team-a/prod']);
    expect(config.namespace).toBe('team-b');
  });

  it('takes a lone / as the root namespace, as without the input', () => {
    expect(readConfig(source({ ...minimal, namespace: '/' }), context()).namespaces).toEqual(['']);
    expect(readConfig(source(minimal), context()).namespaces).toEqual(['']);
  });

  it('strips the auth/ prefix of auth mounts', () => {
    const config = readConfig(
      source({ ...minimal, 'plugin-type': 'auth', mounts: 'auth/github\nacme-login' }),
      context(),
    );
    expect(config.targets).toEqual(['github', 'acme-login']);
  });

  it('reads a URL artifact with placeholders', () => {
    const config = readConfig(
      source({ ...minimal, artifact: 'https://dl.example.com/acme/{version}/acme_{os}_{arch}' }),
      context({ nodeArch: 'arm64' }),
    );
    expect(config.artifact).toMatchObject({
      kind: 'url',
      url: 'https://dl.example.com/acme/1.4.0/acme_linux_arm64',
    });
  });

  it.each([
    [{ url: 'vault:8200' }, 'url: "vault:8200" must start with https:// or http://'],
    [
      { url: 'https://u:p@vault' },
      'url: "https://u:p@vault" must be a plain server address, without credentials, query or fragment',
    ],
    [{ token: '' }, 'token: no token given; set the token input, VAULT_TOKEN or BAO_TOKEN'],
    [{ 'plugin-type': 'kv' }, 'plugin-type: "kv" is not one of secret, auth, database'],
    [
      { 'plugin-type': 'database', mounts: '', connections: 'orders' },
      'connections: "orders" is not <db-mount>/<connection>, such as database/orders',
    ],
    [
      { connections: 'database/orders' },
      'connections: not used with plugin-type secret; list what to move in mounts',
    ],
    [
      { 'plugin-type': 'database', mounts: '', connections: 'database/orders', probe: 'info' },
      'probe: not available for database plugins; a connection is proven by its restart',
    ],
    [
      { probe: '../sys/seal' },
      'probe: "../sys/seal" is not a path under the mount, such as info or config',
    ],
    [{ 'dry-run': 'yes' }, 'dry-run: "yes" is not a boolean; use true or false'],
    [
      { 'rollback-on-failure': '0' },
      'rollback-on-failure: "0" is not a boolean; use true or false',
    ],
    [{ 'batch-size': '-1' }, 'batch-size: "-1" is not a whole number from 0 to 10000'],
    [{ concurrency: '0' }, 'concurrency: "0" is not a whole number from 1 to 64'],
    [
      { nodes: 'vault-1:8200' },
      `nodes: "vault-1:8200" is not a node's API address; use one https://host:port a line`,
    ],
    [
      { nodes: 'https://vault-1:8200/v1/sys' },
      `nodes: "https://vault-1:8200/v1/sys" is not a node's API address; use one https://host:port a line`,
    ],
    [
      {
        'plugin-type': 'database',
        mounts: '',
        connections: 'database/x',
        nodes: 'https://n1:8200',
      },
      'nodes: database connections report no running state per node; leave nodes empty for plugin-type database',
    ],
    [
      { canary: 'a b' },
      'canary: "a b" is not a mount path; use paths like acme or team-a/acme, one a line',
    ],
    [
      { 'plugin-name': '../acme' },
      'plugin-name: "../acme" is not a plugin name; use letters, digits, ".", "_" and "-"',
    ],
    [
      { version: 'latest' },
      'version: "latest" is not a semantic version; use vMAJOR.MINOR.PATCH such as v1.4.0 (a pre-release like v1.4.0-rc.1 is fine)',
    ],
    [
      { version: 'v1.0.0+builtin' },
      'version: "v1.0.0+builtin" uses "+builtin" metadata, which the server reserves for its builtin plugins',
    ],
    [
      { artifact: 'acme_{ver}.zip' },
      'artifact: unknown placeholder {ver} in "acme_{ver}.zip"; valid: {version}, {os}, {arch}',
    ],
    [
      { sha256: 'abc' },
      'sha256: "abc" is not a SHA-256; give the plugin binary\'s hash as 64 hex digits',
    ],
    [
      { 'max-size': 'huge' },
      'max-size: "huge" is not a size; use bytes or a unit, e.g. 512MiB, 200MB, 1GiB',
    ],
    [{ 'allow-draft': 'yes' }, 'allow-draft: "yes" is not a boolean; use true or false'],
    [
      { 'gpg-public-key': 'ssh-ed25519 AAAA' },
      'gpg-public-key: not an armored public key; paste the block starting with -----BEGIN PGP PUBLIC KEY BLOCK-----',
    ],
    [
      { binary: '../acme' },
      'binary: "../acme" is not a path inside the archive; give the member\'s name, e.g. acme or bin/acme',
    ],
    [
      { artifact: 'ftp://x/acme' },
      'artifact: "ftp://x/acme" must be an https://, http:// or oci:// URL, or a release asset name',
    ],
    [
      { command: 'bin/acme' },
      'command: "bin/acme" is not a file name in the plugin directory; use letters, digits, ".", "_", "+" and "-" with no "/"',
    ],
    [{ mounts: '' }, 'mounts: required, but lists no mount'],
    [
      { mounts: 'acme\nteam/../acme' },
      'mounts: "team/../acme" is not a mount path; use paths like acme or team-a/acme, one a line',
    ],
    [{ mounts: 'acme\nacme/' }, 'mounts: "acme/" is listed twice'],
    [{ 'reload-scope': 'cluster' }, 'reload-scope: "cluster" is not one of global, local'],
    [{ 'verify-timeout': '0' }, 'verify-timeout: "0" is not a whole number from 1 to 3600'],
    [
      { 'run-timeout': '180' },
      'run-timeout: 180 s leaves no time for a rollback; give more than timeout + verify-timeout (180 s)',
    ],
    [{ 'run-timeout': 'soon' }, 'run-timeout: "soon" is not a whole number from 1 to 86400'],
    [
      { platform: 'linux/x86_64' },
      'platform: "linux/x86_64" is not OS/ARCH; valid OS: linux, darwin, windows, freebsd; valid ARCH: amd64, arm64, 386, arm',
    ],
    [
      { 'release-repository': 'acme' },
      'release-repository: "acme" is not OWNER/REPO; set release-repository or run inside a repository',
    ],
  ])('refuses %j with one clear line', (bad, message) => {
    expect(() => readConfig(source({ ...minimal, ...bad }), context())).toThrow(message);
  });

  it('says where a version could come from when none is given', () => {
    expect(() => readConfig(source(minimal), context({ ref: 'refs/heads/main' }))).toThrow(
      'version: no version given, and this run is neither a tag push (refs/tags/v1.2.3) nor a workflow_dispatch with a version input',
    );
  });
});

/** Every boolean input, and where its value shows in the config. */
const BOOLEAN_INPUTS: [string, (config: RolloutConfig) => boolean][] = [
  ['dry-run', (c) => c.safety.dryRun],
  ['rollback-on-failure', (c) => c.safety.rollbackOnFailure],
  ['pin', (c) => c.safety.movePin],
  ['summary', (c) => c.summary],
  ['allow-draft', (c) => c.trust.allowDraft],
  ['allow-unverified', (c) => c.trust.allowUnverified],
  ['tls-skip-verify', (c) => c.transport.skipVerify],
];

describe('boolean inputs', () => {
  it.each(BOOLEAN_INPUTS)(
    '%s takes the spellings the runner accepts, and only those',
    (name, read) => {
      for (const spelling of ['true', 'True', 'TRUE']) {
        expect(read(readConfig(source({ ...minimal, [name]: spelling }), context()))).toBe(true);
      }
      for (const spelling of ['false', 'False', 'FALSE']) {
        expect(read(readConfig(source({ ...minimal, [name]: spelling }), context()))).toBe(false);
      }
      for (const spelling of ['yes', 'no', '1', '0', 'on', 'tRUE', 't']) {
        expect(() => readConfig(source({ ...minimal, [name]: spelling }), context())).toThrow(
          `${name}: "${spelling}" is not a boolean; use true or false`,
        );
      }
    },
  );

  it('revert-to-builtin reads the same way', () => {
    const { artifact: _artifact, ...noArtifact } = minimal;
    expect(
      readConfig(source({ ...noArtifact, 'revert-to-builtin': 'True' }), context()).safety
        .revertToBuiltin,
    ).toBe(true);
    expect(() =>
      readConfig(source({ ...noArtifact, 'revert-to-builtin': 'yes' }), context()),
    ).toThrow('revert-to-builtin: "yes" is not a boolean; use true or false');
  });

  it("falls back to VAULT_SKIP_VERIFY, else BAO_SKIP_VERIFY, read as Vault's Go client reads them", () => {
    const skip = (env: Record<string, string>, inputs: Record<string, string> = {}): boolean =>
      readConfig(source({ ...minimal, ...inputs }), context({ env })).transport.skipVerify;
    for (const value of ['1', 't', 'T', 'true', 'True', 'TRUE']) {
      expect(skip({ VAULT_SKIP_VERIFY: value })).toBe(true);
    }
    for (const value of ['0', 'f', 'F', 'false', 'False', 'FALSE']) {
      expect(skip({ VAULT_SKIP_VERIFY: value })).toBe(false);
    }
    expect(skip({ BAO_SKIP_VERIFY: '1' })).toBe(true);
    expect(skip({ VAULT_SKIP_VERIFY: 'false', BAO_SKIP_VERIFY: 'true' })).toBe(false);
    expect(skip({})).toBe(false);
    // The input wins over the environment, either way.
    expect(skip({ VAULT_SKIP_VERIFY: 'true' }, { 'tls-skip-verify': 'false' })).toBe(false);
    expect(skip({ VAULT_SKIP_VERIFY: 'false' }, { 'tls-skip-verify': 'true' })).toBe(true);
    for (const [name, value] of [
      ['VAULT_SKIP_VERIFY', 'yes'],
      ['BAO_SKIP_VERIFY', 'on'],
      ['VAULT_SKIP_VERIFY', ' true'],
    ] as const) {
      expect(() => skip({ [name]: value })).toThrow(
        `${name}: "${value}" is not a boolean as Vault reads it; use true or false (or 1, 0, t, f)`,
      );
    }
  });
});
