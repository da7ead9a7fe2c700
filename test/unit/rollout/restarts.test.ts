import { describe, expect, it } from 'vitest';
import { planRollout, type PlanInput } from '../../../src/rollout/plan.ts';
import { possibleRestarts, restartsFor } from '../../../src/rollout/restarts.ts';
import type { ServerFeatures } from '../../../src/vault/identity.ts';
import type { TargetState } from '../../../src/vault/mounts.ts';

const OLD = '1'.repeat(64);
const NEW = '2'.repeat(64);
const VAULT_CE: ServerFeatures = {
  name: 'Vault 1.21.0',
  pins: true,
  pluginReload: true,
  connectionReload: true,
  reloadStatus: false,
};
const VAULT_ENT: ServerFeatures = { ...VAULT_CE, name: 'Vault 1.21.0+ent', pluginReload: false };
const OPENBAO: ServerFeatures = {
  name: 'OpenBao 2.7.2',
  pins: false,
  pluginReload: false,
  connectionReload: false,
  reloadStatus: false,
};

function target(path: string, plugin = 'acme', running = 'v1.0.0'): [string, TargetState] {
  return [path, { path, plugin, version: 'v1.0.0', runningVersion: running, runningSha256: OLD }];
}

function plan(overrides: Partial<PlanInput>, paths: string[] = ['a', 'b', 'c']) {
  const table = new Map([...paths.map((p) => target(p)), target('kv', 'kv')]);
  return planRollout({
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.0.1',
    sha256: NEW,
    command: 'acme-v1.0.1',
    targets: 'all',
    exclude: [],
    canary: [],
    batchSize: 0,
    catalogEntry: null,
    mountTable: table,
    pluginFile: null,
    pin: null,
    movePin: false,
    server: VAULT_CE,
    catalogVersions: [],
    keepVersions: null,
    allTargets: table,
    ...overrides,
  });
}

describe('which reload call restarts a batch', () => {
  it('reloads the plugin with one call when the batch is every mount of it on a one-namespace Vault', () => {
    const p = plan({});
    expect(restartsFor(p, ['a', 'b', 'c'])).toEqual([{ kind: 'plugin', paths: ['a', 'b', 'c'] }]);
  });

  it('reloads by mount when mounts are listed, some are excluded, or a batch holds only some', () => {
    expect(restartsFor(plan({ targets: ['a', 'b', 'c'] }), ['a', 'b', 'c'])).toEqual([
      { kind: 'mounts', paths: ['a', 'b', 'c'] },
    ]);
    const excluded = plan({ exclude: ['c'] });
    expect(restartsFor(excluded, excluded.batches.flat())).toEqual([
      { kind: 'mounts', paths: ['a', 'b'] },
    ]);
    const batched = plan({ batchSize: 2 });
    expect(batched.batches.map((b) => restartsFor(batched, b))).toEqual([
      [{ kind: 'mounts', paths: ['a', 'b'] }],
      [{ kind: 'mounts', paths: ['c'] }],
    ]);
  });

  it('reloads by mount where the plugin reload would reach namespaces the action never read, or does not exist', () => {
    for (const server of [VAULT_ENT, OPENBAO]) {
      expect(restartsFor(plan({ server }), ['a', 'b', 'c'])).toEqual([
        { kind: 'mounts', paths: ['a', 'b', 'c'] },
      ]);
    }
  });

  it('keeps each call short: past 25 mounts the plugin reload gives way to bounded calls', () => {
    const many = Array.from({ length: 26 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const p = plan({}, many);
    expect(restartsFor(p, many)).toEqual([{ kind: 'mounts', paths: many }]);
  });

  it('restarts database connections under one mount together only when they are all of the plugin there', () => {
    const connection = (path: string, action: 'tune' | 'reload'): [string, TargetState] => [
      path,
      {
        path,
        plugin: 'acme-db',
        version: action === 'reload' ? 'v1.0.1' : 'v1.0.0',
        runningVersion: 'v1.0.0',
        runningSha256: '',
      },
    ];
    const table = new Map([
      connection('database/orders', 'reload'),
      connection('database/users', 'reload'),
      connection('team/db/billing', 'reload'),
    ]);
    const db = (server: ServerFeatures, mounts: PlanInput['targets']) =>
      plan({
        pluginType: 'database',
        pluginName: 'acme-db',
        targets: mounts,
        mountTable: table,
        allTargets: table,
        server,
      });
    const all = db(VAULT_CE, 'all');
    expect(restartsFor(all, ['database/orders', 'database/users', 'team/db/billing'])).toEqual([
      { kind: 'connections', mount: 'database', paths: ['database/orders', 'database/users'] },
      { kind: 'connections', mount: 'team/db', paths: ['team/db/billing'] },
    ]);
    expect(restartsFor(all, ['database/orders'])).toEqual([
      { kind: 'connection', path: 'database/orders' },
    ]);
    expect(restartsFor(db(OPENBAO, 'all'), ['database/orders'])).toEqual([
      { kind: 'connection', path: 'database/orders' },
    ]);
    expect(
      restartsFor(db(VAULT_CE, ['database/orders', 'database/users']), [
        'database/orders',
        'database/users',
      ]),
    ).toEqual([
      { kind: 'connection', path: 'database/orders' },
      { kind: 'connection', path: 'database/users' },
    ]);
  });

  it('lists for the permission check every call a rollback under a pin may add', () => {
    const table = new Map([
      [
        'database/orders',
        {
          path: 'database/orders',
          plugin: 'acme-db',
          version: 'v1.0.0',
          runningVersion: 'v1.0.0',
          runningSha256: '',
        },
      ],
    ]);
    const db = {
      pluginType: 'database' as const,
      pluginName: 'acme-db',
      targets: ['database/orders'],
      mountTable: table,
      allTargets: table,
    };
    expect(possibleRestarts(plan(db))).toEqual([]);
    expect(possibleRestarts(plan({ ...db, pin: 'v1.0.0', movePin: true }))).toEqual([
      { kind: 'connection', path: 'database/orders' },
    ]);
  });
});
