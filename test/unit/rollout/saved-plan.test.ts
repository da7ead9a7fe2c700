import { describe, expect, it } from 'vitest';
import { readConfig, type RolloutConfig } from '../../../src/inputs/config.ts';
import { planRollout, type Plan, type PlanInput } from '../../../src/rollout/plan.ts';
import {
  parseSavedPlan,
  planOrigin,
  recordPlan,
  type PlanOrigin,
} from '../../../src/rollout/saved-plan.ts';
import {
  checkArtifact,
  checkInputs,
  checkServer,
  checkState,
} from '../../../src/rollout/saved-plan-check.ts';
import type { SavedPlan } from '../../../src/rollout/saved-plan-shape.ts';
import type { ArtifactFacts } from '../../../src/artifact/facts.ts';
import type { ServerIdentity } from '../../../src/vault/identity.ts';
import type { TargetState } from '../../../src/vault/mounts.ts';

const OLD = '1'.repeat(64);
const NEW = '2'.repeat(64);
const OTHER = '3'.repeat(64);
const RUN = 'https://github.com/acme/acme-plugin/actions/runs/4242';

const IDENTITY: ServerIdentity = {
  product: 'OpenBao',
  edition: 'community',
  version: '2.7.2',
  haRole: 'single node',
  leaderAddress: '',
  clusterId: '4e6b755a-15f0-7580-eb17-44db026756c8',
  clusterName: 'vault-cluster-b5060d4c',
  nodes: 1,
};

const INPUTS: Record<string, string> = {
  url: 'https://vault.example.com:8200',
  token: 's.secret',
  'plugin-name': 'acme',
  version: 'v1.1.0',
  artifact: 'acme_{version}_{os}_{arch}.zip',
  mounts: 'acme\nteam-a/acme',
  'plugin-directory': '/etc/vault/plugins',
};

function config(overrides: Record<string, string> = {}): RolloutConfig {
  const values = { ...INPUTS, ...overrides };
  const get = (name: string): string => values[name] ?? '';
  return readConfig(
    { get, secret: get },
    {
      env: {},
      eventName: 'push',
      eventInputs: {},
      ref: 'refs/heads/main',
      repository: 'acme/acme-plugin',
      apiUrl: 'https://api.github.com',
      nodePlatform: 'linux',
      nodeArch: 'x64',
      mask: () => undefined,
    },
  );
}

function mount(path: string, version: string, sha256: string, running = version): TargetState {
  return { path, plugin: 'acme', version, runningVersion: running, runningSha256: sha256 };
}

/** The plan the server state gives, as preflight makes it. */
function plan(overrides: Partial<PlanInput> = {}): Plan {
  const mountTable = new Map([
    ['acme', mount('acme', 'v1.0.0', OLD)],
    ['team-a/acme', mount('team-a/acme', 'v1.0.0', OLD)],
  ]);
  return planRollout({
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.1.0',
    sha256: NEW,
    command: 'acme-v1.1.0',
    targets: ['acme', 'team-a/acme'],
    exclude: [],
    canary: [],
    batchSize: 0,
    catalogEntry: null,
    mountTable,
    pluginFile: { present: false },
    pin: null,
    movePin: false,
    server: {
      name: 'Vault 1.21.0',
      pins: true,
      pluginReload: true,
      connectionReload: true,
      reloadStatus: false,
    },
    catalogVersions: [],
    keepVersions: null,
    allTargets: overrides.mountTable ?? mountTable,
    ...overrides,
  });
}

function origin(overrides: Partial<PlanOrigin> = {}): PlanOrigin {
  return { ...planOrigin(config(), IDENTITY, RUN), ...overrides };
}

function saved(made: Plan = plan(), from: PlanOrigin = origin()): SavedPlan {
  return recordPlan(made, from, { sha256: NEW, source: 'release', tag: 'v1.1.0' });
}

function text(made: Plan = plan(), from: PlanOrigin = origin()): string {
  return JSON.stringify(saved(made, from));
}

const NOT_JSON =
  'plan: not valid JSON (cut short, or changed by hand); pass the plan output of a dry run as it is';
const EDITED =
  'plan: its digest does not match its content, so it was changed after it was made; make a new plan instead of editing one';

describe('the saved plan format', () => {
  it('reads back exactly what it recorded, whatever the layout and key order', () => {
    const record = saved();
    expect(parseSavedPlan(JSON.stringify(record))).toEqual(record);
    expect(parseSavedPlan(JSON.stringify(record, null, 2))).toEqual(record);
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    expect(parseSavedPlan(JSON.stringify(reversed))).toEqual(record);
  });

  it('records what the plan was made from', () => {
    expect(saved(plan({ pin: 'v1.0.0', movePin: true }))).toMatchObject({
      format_version: 1,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
      sha256: NEW,
      pinned: 'v1.0.0',
      catalog_entry: null,
      mounts: [
        {
          mount: 'acme',
          from: 'v1.0.0',
          to: 'v1.1.0',
          action: 'tune',
          running_version: 'v1.0.0',
          running_sha256: OLD,
        },
        {
          mount: 'team-a/acme',
          from: 'v1.0.0',
          to: 'v1.1.0',
          action: 'tune',
          running_version: 'v1.0.0',
          running_sha256: OLD,
        },
      ],
      server: {
        url: 'https://vault.example.com:8200',
        cluster_id: IDENTITY.clusterId,
        cluster_name: IDENTITY.clusterName,
        product: 'OpenBao 2.7.2',
        namespace: '',
      },
      artifact: { sha256: NEW },
      inputs: {
        'plugin-type': 'secret',
        'plugin-name': 'acme',
        version: 'v1.1.0',
        mounts: ['acme', 'team-a/acme'],
        'plugin-directory': '/etc/vault/plugins',
        command: 'acme-v1.1.0',
      },
      made_by: { run_url: RUN },
    });
    expect(saved(plan(), origin({ runUrl: '' })).made_by).toBeNull();
  });

  it('refuses a plan cut short anywhere', () => {
    const whole = text();
    for (let length = 0; length < whole.length; length += 7) {
      expect(() => parseSavedPlan(whole.slice(0, length)), String(length)).toThrow(NOT_JSON);
    }
  });

  it('refuses a plan with any field changed by hand', () => {
    const edits: ((p: Record<string, unknown>) => void)[] = [
      (p) => (p.version = 'v1.2.0'),
      (p) => (p.batches = []),
      (p) => ((p.mounts as [{ from: string }])[0].from = 'v0.9.0'),
      (p) => ((p.server as { cluster_id: string }).cluster_id = 'another'),
      (p) => ((p.made_by as { run_url: string }).run_url = `${RUN}1`),
      (p) => (p.extra = true),
      (p) => delete p.digest,
    ];
    for (const edit of edits) {
      const parsed = JSON.parse(text()) as Record<string, unknown>;
      edit(parsed);
      expect(() => parseSavedPlan(JSON.stringify(parsed)), edit.toString()).toThrow(EDITED);
    }
  });

  it('refuses a format it does not know, before looking at the digest', () => {
    const withFormat = (format: unknown): string =>
      JSON.stringify({ ...(JSON.parse(text()) as object), format_version: format });
    expect(() => parseSavedPlan(withFormat(2))).toThrow(
      'plan: format_version 2 is not one this action reads (it reads 1); make the plan with the same release of the action that applies it',
    );
    expect(() => parseSavedPlan(withFormat('1'))).toThrow('plan: format_version "1" is not one');
    expect(() => parseSavedPlan(withFormat(null))).toThrow('plan: format_version null is not one');
    for (const other of ['[]', '"plan"', '{"version":"v1.1.0"}']) {
      expect(() => parseSavedPlan(other)).toThrow(
        'plan: not a plan (it has no format_version); pass the plan output of a dry run as it is',
      );
    }
  });

  it('never quotes what it was given: a wrong file may hold a secret', () => {
    for (const given of ['ghs_secretvalue1234', '{"token":"ghs_secretvalue1234"']) {
      expect(() => parseSavedPlan(given)).toThrow(NOT_JSON);
    }
  });

  it('refuses a consistent plan whose fields are not what they claim', () => {
    // recordPlan digests whatever it is given, as a forger would.
    const forged: [PlanOrigin, string][] = [
      [
        origin({ runUrl: 'javascript:alert(1)//x/y/actions/runs/1' }),
        'plan: made_by.run_url is not the address of a workflow run',
      ],
      [
        origin({ runUrl: 'https://evil.example/acme/acme-plugin/actions/runs/1?x=1' }),
        'plan: made_by.run_url is not the address of a workflow run',
      ],
      [
        origin({ runUrl: 'https://github.com/acme/acme-plugin/actions/runs/1/../../../x' }),
        'plan: made_by.run_url is not the address of a workflow run',
      ],
      [
        origin({ server: { ...origin().server, cluster_name: 'prod\n## Approved' } }),
        'plan: server.cluster_name is not text on one line',
      ],
    ];
    for (const [from, error] of forged) {
      expect(() => parseSavedPlan(text(plan(), from))).toThrow(error);
    }
    const badHash = plan({
      mountTable: new Map([['acme', mount('acme', 'v1.0.0', 'not-a-hash')]]),
      targets: ['acme'],
    });
    expect(() => parseSavedPlan(text(badHash))).toThrow(
      'plan: mounts[0].running_sha256 is not a SHA-256 (64 lowercase hex digits)',
    );
  });
});

describe('applying a saved plan', () => {
  it('takes the inputs the plan was made with, whatever says how to apply it', () => {
    expect(() =>
      checkInputs(
        saved(),
        config({ probe: 'info', 'reload-scope': 'local', 'verify-timeout': '5' }),
      ),
    ).not.toThrow();
  });

  it('refuses other inputs that decide what is written, naming the first', () => {
    const refused: [Record<string, string>, string][] = [
      [
        { version: 'v1.2.0' },
        'plan: made with version v1.1.0, but this run has version v1.2.0; apply a plan with the inputs it was made with, or make a new plan',
      ],
      [
        { mounts: 'acme' },
        'plan: made with mounts acme, team-a/acme, but this run has mounts acme;',
      ],
      [{ mounts: 'all' }, 'plan: made with mounts acme, team-a/acme, but this run has mounts all;'],
      [{ canary: 'acme' }, 'plan: made with canary (none), but this run has canary acme;'],
      [{ 'batch-size': '1' }, 'plan: made with batch-size 0, but this run has batch-size 1;'],
      [{ pin: 'true' }, 'plan: made with pin false, but this run has pin true;'],
      [
        { 'keep-versions': '2' },
        'plan: made with keep-versions (empty), but this run has keep-versions 2;',
      ],
      [
        { 'plugin-directory': '' },
        'plan: made with plugin-directory /etc/vault/plugins, but this run has plugin-directory (empty);',
      ],
      [
        { command: 'acme-build-7' },
        'plan: made with command acme-v1.1.0, but this run has command acme-build-7;',
      ],
      [
        { namespace: 'team-a' },
        'plan: made with namespace (empty), but this run has namespace team-a;',
      ],
      [
        { 'plugin-name': 'acme2' },
        'plan: made with plugin-name acme, but this run has plugin-name acme2;',
      ],
    ];
    for (const [inputs, error] of refused) {
      expect(() => checkInputs(saved(), config(inputs)), error).toThrow(error);
    }
  });

  it('refuses another binary', () => {
    expect(() => checkArtifact(saved(), { sha256: NEW } as ArtifactFacts)).not.toThrow();
    expect(() => checkArtifact(saved(), { sha256: OTHER } as ArtifactFacts)).toThrow(
      `plan was made for the binary with sha256 ${NEW}, but the artifact fetched now has sha256 ${OTHER}`,
    );
  });

  it('refuses another cluster, and a server that cannot say which it is', () => {
    const address = 'https://vault.example.com:8200';
    expect(() => checkServer(saved(), IDENTITY, address)).not.toThrow();
    expect(() =>
      checkServer(
        saved(),
        { ...IDENTITY, clusterId: 'other-id', clusterName: 'vault-cluster-x' },
        address,
      ),
    ).toThrow(
      `plan was made on cluster vault-cluster-b5060d4c (id ${IDENTITY.clusterId}), but ${address} is cluster vault-cluster-x (id other-id); apply a plan made on this server`,
    );
    expect(() => checkServer(saved(), { ...IDENTITY, clusterId: '' }, address)).toThrow(
      `plan: ${address} reports no cluster id in sys/health, so this run cannot tell whether it is the server the plan was made on`,
    );
    const anonymous = saved(plan(), origin({ server: { ...origin().server, cluster_id: '' } }));
    expect(() => checkServer(anonymous, IDENTITY, address)).toThrow(
      'plan: it records no cluster id for the server it was made on',
    );
  });

  it('applies a plan when the server is as the plan read it', () => {
    expect(checkState(saved(), plan())).toBe('as-planned');
  });

  it('refuses a stale plan, naming the first difference', () => {
    const table = (acme: TargetState): Map<string, TargetState> =>
      new Map([
        ['acme', acme],
        ['team-a/acme', mount('team-a/acme', 'v1.0.0', OLD)],
      ]);
    const stale: [Partial<PlanInput>, string][] = [
      [
        { mountTable: table(mount('acme', 'v1.0.1', OTHER)) },
        'plan is stale: acme/ now runs v1.0.1, planned from v1.0.0',
      ],
      [
        { mountTable: table(mount('acme', 'v1.0.1', OLD, 'v1.0.0')) },
        'plan is stale: acme/ is now configured for v1.0.1, planned from v1.0.0',
      ],
      [
        { mountTable: table(mount('acme', 'v1.0.0', OTHER)) },
        `plan is stale: acme/ now runs the binary with sha256 ${OTHER}, planned from ${OLD}`,
      ],
      [
        {
          catalogEntry: {
            name: 'acme',
            version: 'v1.1.0',
            sha256: NEW,
            command: 'acme-v1.1.0',
            builtin: false,
          },
        },
        `plan is stale: secret plugin acme v1.1.0 is now registered with sha256 ${NEW} and command acme-v1.1.0, planned not registered`,
      ],
      [
        { pin: 'v1.0.0', movePin: true },
        'plan is stale: secret plugin acme is now pinned at v1.0.0, planned not pinned',
      ],
      [
        { pluginFile: { present: true, sha256: NEW } },
        'plan is stale: the plugin file acme-v1.1.0 would now be left as it is in plugin-directory, planned copied into plugin-directory',
      ],
    ];
    for (const [now, error] of stale) {
      expect(() => checkState(saved(), plan(now)), error).toThrow(error);
    }
  });

  it('sees mounts found by mounts: all come and go', () => {
    const every = (paths: string[]): Partial<PlanInput> => ({
      targets: 'all',
      mountTable: new Map(paths.map((p) => [p, mount(p, 'v1.0.0', OLD)])),
    });
    const made = saved(plan(every(['acme', 'team-a/acme'])));
    expect(() => checkState(made, plan(every(['acme', 'team-a/acme', 'team-b/acme'])))).toThrow(
      'plan is stale: team-b/acme/ now runs plugin acme, and the plan did not include it',
    );
    expect(() => checkState(made, plan(every(['acme'])))).toThrow(
      'plan is stale: team-a/acme/ is gone, or no longer runs plugin acme',
    );
  });

  it('writes nothing when the server is already where the plan leads', () => {
    const done = plan({
      catalogEntry: {
        name: 'acme',
        version: 'v1.1.0',
        sha256: NEW,
        command: 'acme-v1.1.0',
        builtin: false,
      },
      pluginFile: { present: true, sha256: NEW },
      mountTable: new Map([
        ['acme', mount('acme', 'v1.1.0', NEW)],
        ['team-a/acme', mount('team-a/acme', 'v1.1.0', NEW)],
      ]),
    });
    expect(done.changes).toBe(false);
    expect(checkState(saved(), done)).toBe('already-applied');
  });
});
