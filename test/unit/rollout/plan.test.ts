import { describe, expect, it } from 'vitest';
import { effectiveCommand, planRollout, type PlanInput } from '../../../src/rollout/plan.ts';
import { assessTargets } from '../../../src/rollout/verify.ts';
import type { TargetState } from '../../../src/vault/mounts.ts';

const VAULT = {
  name: 'Vault 1.21.0',
  pins: true,
  pluginReload: true,
  connectionReload: true,
  reloadStatus: false,
};
const OLD = '1'.repeat(64);
const NEW = '2'.repeat(64);

function mount(path: string, version: string, sha256: string, plugin = 'acme'): TargetState {
  return { path, plugin, version, runningVersion: version, runningSha256: sha256 };
}

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  const merged: Omit<PlanInput, 'allTargets'> = {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.0.1',
    sha256: NEW,
    command: 'acme-v1.0.1',
    targets: ['acme', 'team-a/acme'],
    exclude: [],
    canary: [],
    batchSize: 0,
    catalogEntry: null,
    mountTable: new Map([
      ['acme', mount('acme', 'v1.0.0', OLD)],
      ['team-a/acme', mount('team-a/acme', 'v1.0.0', OLD)],
      ['other', mount('other', 'v1.0.0', OLD)],
      ['secret', mount('secret', '', '', 'kv')],
    ]),
    pluginFile: { present: false },
    pin: null,
    movePin: false,
    server: VAULT,
    catalogVersions: [],
    keepVersions: null,
    ...overrides,
  };
  return { allTargets: merged.mountTable, ...merged };
}

const entry = (sha256: string) => ({
  name: 'acme',
  version: 'v1.0.1',
  sha256,
  command: 'acme-v1.0.1',
  builtin: false,
});

describe('planRollout', () => {
  it('copies, registers, tunes and reloads only the listed mounts', () => {
    const plan = planRollout(input());
    expect(plan).toMatchObject({
      pluginFile: 'copy',
      catalog: 'register',
      changes: true,
      batches: [['acme', 'team-a/acme']],
      canary: false,
      discovered: null,
    });
    expect(plan.targets.map((m) => [m.path, m.from, m.to, m.action])).toEqual([
      ['acme', 'v1.0.0', 'v1.0.1', 'tune'],
      ['team-a/acme', 'v1.0.0', 'v1.0.1', 'tune'],
    ]);
  });

  it('plans no write when everything already runs the target', () => {
    const plan = planRollout(
      input({
        catalogEntry: entry(NEW),
        pluginFile: { present: true, sha256: NEW },
        mountTable: new Map([
          ['acme', mount('acme', 'v1.0.1', NEW)],
          ['team-a/acme', mount('team-a/acme', 'v1.0.1', NEW)],
        ]),
      }),
    );
    expect(plan).toMatchObject({
      pluginFile: 'present',
      catalog: 'present',
      changes: false,
      batches: [],
    });
  });

  it('only reloads a mount that is configured for the target but runs something else', () => {
    const table = new Map([
      ['acme', { ...mount('acme', 'v1.0.1', OLD), runningVersion: 'v1.0.0' }],
      ['team-a/acme', mount('team-a/acme', 'v1.0.1', NEW)],
    ]);
    const plan = planRollout(
      input({ catalogEntry: entry(NEW), mountTable: table, pluginFile: null }),
    );
    expect(plan.targets.map((m) => m.action)).toEqual(['reload', 'none']);
    expect(plan.batches).toEqual([['acme']]);
    expect(plan.pluginFile).toBe('unmanaged');
  });

  it('moves the canary alone first, then the rest in batches', () => {
    const table = new Map(
      ['a', 'b', 'c', 'd', 'e'].map((path) => [path, mount(path, 'v1.0.0', OLD)] as const),
    );
    const plan = planRollout(
      input({ targets: ['a', 'b', 'c', 'd', 'e'], mountTable: table, canary: ['c'], batchSize: 2 }),
    );
    expect(plan.batches).toEqual([['c'], ['a', 'b'], ['d', 'e']]);
    expect(plan.canary).toBe(true);
  });

  it('finds every mount of the plugin for mounts: all, minus the excluded', () => {
    const plan = planRollout(input({ targets: 'all', exclude: ['team-a/acme'] }));
    expect(plan.discovered).toEqual(['acme', 'other']);
    expect(plan.targets.map((m) => m.path)).toEqual(['acme', 'other']);
  });

  it('refuses a canary that is not being rolled, and an empty discovery', () => {
    expect(() => planRollout(input({ canary: ['other'] }))).toThrow(
      'canary: other/ is not among the mounts being rolled',
    );
    expect(() => planRollout(input({ pluginName: 'none', targets: 'all' }))).toThrow(
      'mounts: all, but no secret mount runs plugin none',
    );
  });

  it('refuses every problem at once, in one line', () => {
    expect(() =>
      planRollout(
        input({
          catalogEntry: entry(OLD),
          pluginFile: { present: true, sha256: OLD },
          targets: ['acme', 'missing', 'secret'],
        }),
      ),
    ).toThrow(
      `secret plugin acme v1.0.1 is already registered with sha256 ${OLD}, not this artifact's ${NEW}; versions are immutable, so release this build as a new version; ` +
        `plugin-directory: acme-v1.0.1 already exists with sha256 ${OLD}, not ${NEW}; refusing to overwrite it; ` +
        'mounts: missing/ does not exist; mounts: secret/ runs plugin kv, not acme',
    );
  });

  it('keeps the catalog’s command for a version already registered with this hash', () => {
    expect(effectiveCommand('acme-v1.0.1', { ...entry(NEW), command: 'acme' }, NEW)).toBe('acme');
    expect(effectiveCommand('acme-v1.0.1', { ...entry(OLD), command: 'acme' }, NEW)).toBe(
      'acme-v1.0.1',
    );
    expect(effectiveCommand('acme-v1.0.1', null, NEW)).toBe('acme-v1.0.1');
  });
});

describe('pins', () => {
  const OPENBAO = {
    name: 'OpenBao 2.7.2',
    pins: false,
    pluginReload: false,
    connectionReload: false,
    reloadStatus: false,
  };

  it('refuses a pin that holds another version unless asked to move it', () => {
    expect(() => planRollout(input({ pin: 'v1.0.0' }))).toThrow(
      'a pin holds secret plugin acme at v1.0.0, and every reload starts the pinned version whatever the mounts say; set pin: true to move the pin to v1.0.1, or delete the pin',
    );
    expect(planRollout(input({ pin: 'v1.0.0', movePin: true })).pin).toEqual({
      from: 'v1.0.0',
      to: 'v1.0.1',
    });
  });

  it('needs pin: true to tune under a pin that already holds the target, and lifts and sets it again', () => {
    expect(() => planRollout(input({ pin: 'v1.0.1' }))).toThrow(
      "a pin holds secret plugin acme at v1.0.1, and the server refuses to tune a mount's version while a pin is in effect; set pin: true to lift the pin for the tunes and set it again, or delete the pin",
    );
    const plan = planRollout(input({ pin: 'v1.0.1', movePin: true }));
    expect(plan.pin).toEqual({ from: 'v1.0.1', to: 'v1.0.1' });
    expect(plan.pinnedElsewhere).toEqual([]);
  });

  it('leaves a pin that holds the target alone when nothing is tuned', () => {
    const table = new Map([
      ['acme', { ...mount('acme', 'v1.0.1', OLD), runningVersion: 'v1.0.0' }],
      ['team-a/acme', mount('team-a/acme', 'v1.0.1', NEW)],
    ]);
    const plan = planRollout(input({ pin: 'v1.0.1', mountTable: table }));
    expect(plan.pin).toBeNull();
    expect(plan.pinned).toBe('v1.0.1');
    expect(plan.batches).toEqual([['acme']]);
  });

  it('names the mounts a moved pin changes without listing them', () => {
    const plan = planRollout(input({ pin: 'v1.0.0', movePin: true }));
    expect(plan.pinnedElsewhere).toEqual(['other']);
  });

  it('removes the pin when going back to the builtin, which cannot be pinned', () => {
    const builtin = 'v0.25.0+builtin';
    const revert = {
      version: builtin,
      sha256: '',
      catalogEntry: { name: 'acme', version: builtin, sha256: '', command: '', builtin: true },
    };
    expect(() => planRollout(input({ ...revert, pin: 'v1.0.0' }))).toThrow(
      'set pin: true to remove the pin (a builtin cannot be pinned), or delete the pin',
    );
    expect(planRollout(input({ ...revert, pin: 'v1.0.0', movePin: true })).pin).toEqual({
      from: 'v1.0.0',
      to: '',
    });
  });

  it('refuses pin: true on a server without pins, before anything else is written', () => {
    expect(() => planRollout(input({ movePin: true, server: OPENBAO }))).toThrow(
      'pin: true, but OpenBao 2.7.2 has no plugin pins (Vault 1.16 and later have them); remove the input',
    );
  });
});

describe('plugins the server serves from its own code', () => {
  const kv = (version: string) =>
    input({
      pluginName: 'kv',
      version,
      targets: ['secret'],
      mountTable: new Map([['secret', mount('secret', '', '', 'kv')]]),
    });

  it('refuses to roll an external build of kv out, which would never start', () => {
    expect(() => planRollout(kv('v0.25.1'))).toThrow(
      'secret plugin kv: Vault 1.21.0 serves kv mounts with its own builtin code whatever version they are tuned to (it refuses to enable kv at a non-builtin version), so v0.25.1 would be registered and never started; release the build under a plugin name of its own and mount that',
    );
  });

  it('lets kv go back to its builtin version', () => {
    const plan = planRollout({ ...kv('v0.25.0+builtin'), sha256: '' });
    expect(plan.targets.map((m) => [m.path, m.action])).toEqual([['secret', 'tune']]);
  });
});

describe('pruning', () => {
  const versions = ['v0.9.0', 'v1.0.0', 'v1.0.1', 'v0.8.0', 'v1.0.0-rc.1'].map((version) => ({
    version,
    builtin: false,
  }));

  it('keeps the newest N, the target and every version still in use', () => {
    const plan = planRollout(
      input({
        keepVersions: 1,
        catalogVersions: [...versions, { version: 'v2.7.2+builtin.bao', builtin: true }],
        allTargets: new Map([
          ['acme', mount('acme', 'v1.0.0', OLD)],
          ['team-a/acme', mount('team-a/acme', 'v1.0.0', OLD)],
          ['legacy', mount('legacy', 'v0.8.0', OLD)],
          ['kv', mount('kv', 'v0.9.0', OLD, 'kv')],
        ]),
      }),
    );
    expect(plan.prune).toEqual(['v0.9.0', 'v1.0.0-rc.1', 'v1.0.0']);
    expect(plan.changes).toBe(true);
  });

  it('keeps the version the pin holds after the run, and lets go of the one it moved from', () => {
    const plan = planRollout(
      input({ keepVersions: 0, catalogVersions: versions, pin: 'v0.9.0', movePin: true }),
    );
    expect(plan.prune).not.toContain('v1.0.1');
    expect(plan.prune).toContain('v0.9.0');
  });
});

describe('assessMounts', () => {
  const plan = planRollout(input());

  it('passes a mount only when it runs the target version and hash', () => {
    const outcomes = assessTargets(
      plan,
      new Map([
        ['acme', mount('acme', 'v1.0.1', NEW)],
        ['team-a/acme', { ...mount('team-a/acme', 'v1.0.1', OLD) }],
      ]),
    );
    expect(outcomes.map((o) => [o.path, o.result, o.problem])).toEqual([
      ['acme', 'updated', ''],
      ['team-a/acme', 'failed', `team-a/acme/ runs v1.0.1 sha256 ${OLD}, not v1.0.1 sha256 ${NEW}`],
    ]);
  });

  it('reports a mount that is gone or configured for another version', () => {
    const outcomes = assessTargets(plan, new Map([['acme', mount('acme', 'v1.0.0', OLD)]]));
    expect(outcomes.map((o) => o.problem)).toEqual([
      'acme/ is configured for v1.0.0, not v1.0.1',
      'team-a/acme/ disappeared during the rollout',
    ]);
  });
});
