import { describe, expect, it } from 'vitest';
import { planRollout, type PlanInput } from '../../../src/rollout/plan.ts';
import {
  assessTargets,
  backward,
  versionsToLookUp,
  mismatch,
  evidenceOf,
} from '../../../src/rollout/verify.ts';
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
const PINNED = '3'.repeat(64);

function mount(path: string, version: string, runningVersion: string, sha256: string): TargetState {
  return { path, plugin: 'acme', version, runningVersion, runningSha256: sha256 };
}

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  const table = new Map([['acme', mount('acme', 'v1.0.0', 'v1.0.0', OLD)]]);
  return {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.1.0',
    sha256: NEW,
    command: 'acme-v1.1.0',
    targets: ['acme'],
    exclude: [],
    canary: [],
    batchSize: 0,
    catalogEntry: null,
    mountTable: table,
    pluginFile: null,
    pin: null,
    movePin: false,
    server: VAULT,
    catalogVersions: [],
    keepVersions: null,
    allTargets: table,
    ...overrides,
  };
}

describe('what proves a mount runs the new build', () => {
  const plan = planRollout(input());

  it('is its running hash', () => {
    const [outcome] = assessTargets(
      plan,
      new Map([['acme', mount('acme', 'v1.1.0', 'v1.1.0', NEW)]]),
    );
    expect(outcome).toMatchObject({ result: 'updated', problem: '', evidence: ['sha256'] });
  });

  it('is never an empty running hash, even when the server names the new version', () => {
    // secret/ on Vault 1.21.0 after `vault secrets tune -plugin-version=v0.25.1 secret` and a
    // reload, with HashiCorp's kv build registered as kv v0.25.1: the mount keeps running the
    // builtin kv (no plugin process starts) and reports the tuned version with no hash.
    const liveSecret = mount('acme', 'v1.1.0', 'v1.1.0', '');
    const [outcome] = assessTargets(plan, new Map([['acme', liveSecret]]));
    expect(outcome?.result).toBe('failed');
    expect(outcome?.evidence).toEqual([]);
    expect(outcome?.problem).toBe(
      `acme/ reports v1.1.0 but an empty running_sha256, so the registered build ${NEW} does not serve it (the server reports the hash of every plugin it starts from the catalog; none means its own builtin code answers, or nothing started)`,
    );
  });

  it('is not the old build that still runs, with or without a hash', () => {
    for (const still of [
      mount('acme', 'v1.1.0', 'v1.0.0', OLD),
      mount('acme', 'v1.1.0', 'v1.0.0', ''),
    ]) {
      const [outcome] = assessTargets(plan, new Map([['acme', still]]));
      expect(outcome?.result).toBe('failed');
    }
  });

  it('is an empty hash and the builtin version for a builtin target', () => {
    const builtin = 'v0.25.0+builtin';
    const revert = planRollout(
      input({
        version: builtin,
        sha256: '',
        catalogEntry: { name: 'acme', version: builtin, sha256: '', command: '', builtin: true },
      }),
    );
    const [back] = assessTargets(revert, new Map([['acme', mount('acme', builtin, builtin, '')]]));
    expect(back).toMatchObject({ result: 'updated', evidence: ['builtin'] });
    const [override] = assessTargets(
      revert,
      new Map([['acme', mount('acme', builtin, builtin, OLD)]]),
    );
    expect(override?.result).toBe('failed');
  });

  it('is the running version a connection reports, or its configuration where none is reported', () => {
    const connection = (running: string, reported: boolean): TargetState => ({
      path: 'database/orders',
      plugin: 'acme',
      version: 'v1.1.0',
      runningVersion: running,
      runningSha256: '',
      runningReported: reported,
    });
    const db = planRollout(
      input({
        pluginType: 'database',
        targets: ['database/orders'],
        mountTable: new Map([['database/orders', connection('v1.0.0', true)]]),
      }),
    );
    const expected = { configured: 'v1.1.0', running: 'v1.1.0', sha256: null };
    expect(evidenceOf(connection('v1.1.0', true), expected)).toEqual(['running-version']);
    expect(evidenceOf(connection('v1.1.0', false), expected)).toEqual(['configured-version']);
    // Vault reports what a pin makes a connection run, even against its configuration.
    expect(
      assessTargets(db, new Map([['database/orders', connection('v1.0.0', true)]]))[0]?.problem,
    ).toBe('database/orders runs v1.0.0 sha256 (none), not v1.1.0');
  });
});

describe('what a rollback must restore', () => {
  it('is the configured version, running the pin it had, with the pinned build’s hash', () => {
    const pinned = planRollout(
      input({
        pin: 'v1.0.1',
        movePin: true,
        mountTable: new Map([['acme', mount('acme', 'v1.0.0', 'v1.0.1', PINNED)]]),
      }),
    );
    const [step] = pinned.targets;
    if (!step) throw new Error('no step');
    const expect_ = backward(pinned, new Map())(step);
    expect(expect_).toEqual({ configured: 'v1.0.0', running: 'v1.0.1', sha256: PINNED });
    expect(mismatch('secret', 'acme', mount('acme', 'v1.0.0', 'v1.0.1', PINNED), expect_)).toBe('');
    expect(mismatch('secret', 'acme', mount('acme', 'v1.0.1', 'v1.0.1', PINNED), expect_)).toBe(
      'acme/ is configured for v1.0.1, not v1.0.0',
    );
  });

  it('asks the catalog for the hash of a version the mount did not run when read', () => {
    const plan = planRollout(
      input({
        pin: 'v1.0.1',
        movePin: true,
        // Configured for v1.0.0 but not reloaded since the pin was set: still runs v1.0.0.
        mountTable: new Map([['acme', mount('acme', 'v1.0.0', 'v1.0.0', OLD)]]),
      }),
    );
    expect(versionsToLookUp(plan, plan.targets)).toEqual(['v1.0.1']);
    const [step] = plan.targets;
    if (!step) throw new Error('no step');
    expect(backward(plan, new Map([['v1.0.1', PINNED]]))(step)).toEqual({
      configured: 'v1.0.0',
      running: 'v1.0.1',
      sha256: PINNED,
    });
  });
});
