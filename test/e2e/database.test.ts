import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { createConnection, installPlugin, liveConnection } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_databaselab';
const ROLLED = ['database/orders', 'team-a/db/users'];

let server: LabServer;
let github: ReleaseServer;

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  await installPlugin(server, 'database', 'labdb', 'database', 'v1.0.0');
  await installPlugin(server, 'database', 'otherdb', 'database', 'v1.0.0');
  for (const mount of ['database', 'team-a/db']) {
    await server.api('POST', `sys/mounts/${mount}`, { type: 'database' });
  }
  for (const path of [...ROLLED, 'database/billing']) {
    await createConnection(server, path, 'labdb', 'v1.0.0');
  }
  await createConnection(server, 'database/other', 'otherdb', 'v1.0.0');
  for (const version of ['v1.0.0', 'v1.0.1']) {
    github.publish(
      pluginRelease({ server: SERVER, name: 'labdb', kind: 'database', version, format: 'tar.gz' }),
    );
  }
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'labdb',
      kind: 'broken',
      version: 'v1.0.2',
      format: 'tar.gz',
    }),
  );
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function rollout(options: Partial<RunOptions>, inputs: Record<string, string>): RunOptions {
  return {
    apiUrl: github.apiUrl,
    ...options,
    inputs: {
      url: server.address,
      token: server.token,
      'github-token': GITHUB_TOKEN,
      'plugin-type': 'database',
      'plugin-name': 'labdb',
      artifact: assetTemplate('labdb', 'tar.gz'),
      'plugin-directory': server.pluginDir,
      ...inputs,
    },
  };
}

async function versions(paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map(async (path) => (await liveConnection(server, path)).version));
}

describe('database plugins move connection by connection', () => {
  it('discovers exactly the connections that run the plugin', async () => {
    const mark = await server.auditMark();
    const run = await runAction(
      rollout(
        { ref: 'refs/tags/v1.0.1' },
        { connections: 'all', exclude: 'database/billing', 'dry-run': 'true' },
      ),
    );

    expect(run.exitCode, run.log).toBe(0);
    expect(JSON.parse(run.outputs.plan ?? '{}')).toMatchObject({ discovered: ROLLED });
    expect(await server.writesSince(mark)).toEqual([]);
  });

  it('rolls the listed connections forward and keeps their other settings', async () => {
    const run = await runAction(
      rollout({ ref: 'refs/tags/v1.0.1' }, { connections: ROLLED.join('\n') }),
    );

    expect(run.exitCode, run.log).toBe(0);
    expect(await versions(ROLLED)).toEqual(['v1.0.1', 'v1.0.1']);
    expect(await liveConnection(server, 'database/orders')).toEqual({
      plugin: 'labdb',
      version: 'v1.0.1',
      connectionUrl: 'memory',
    });
    expect(await versions(['database/billing', 'database/other'])).toEqual(['v1.0.0', 'v1.0.0']);
    expect(run.summary).toContain('| `team-a/db/users` | `v1.0.0` | `v1.0.1` | `v1.0.1` |');
    expect(run.outputs['reload-id']).toBe('');
  });

  it('a plugin that cannot start leaves every connection on its previous version', async () => {
    const run = await runAction(
      rollout({ ref: 'refs/tags/v1.0.2' }, { connections: ROLLED.join('\n') }),
    );

    expect(run.exitCode).toBe(1);
    expect(run.outputs['rolled-back']).toBe('true');
    expect(await versions(ROLLED)).toEqual(['v1.0.1', 'v1.0.1']);
    // Both writes are in flight at once, so either may be the first to fail.
    expect(run.log).toMatch(
      /::error title=Rollout failed and was rolled back::POST \/v1\/(database\/config\/orders|team-a\/db\/config\/users) answered 400: error creating database object/,
    );
  });

  it('rolls back to v1.0.0 from workflow_dispatch', async () => {
    const run = await runAction(
      rollout(
        { eventName: 'workflow_dispatch', event: { inputs: { version: 'v1.0.0' } } },
        { connections: ROLLED.join('\n') },
      ),
    );

    expect(run.exitCode, run.log).toBe(0);
    expect(await versions(ROLLED)).toEqual(['v1.0.0', 'v1.0.0']);
  });

  it('refuses connections that do not exist or run another plugin, before any write', async () => {
    const mark = await server.auditMark();
    const run = await runAction(
      rollout(
        { ref: 'refs/tags/v1.0.1' },
        { connections: 'database/orders\ndatabase/nope\ndatabase/other\nnomount/x' },
      ),
    );

    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      '::error title=Preflight check failed — nothing written::connections: database/nope does not exist; connections: database/other runs plugin otherdb, not labdb; connections: nomount/x does not exist',
    );
    expect(await server.writesSince(mark)).toEqual([]);
  });
});
