// The demo rollout: a local OpenBao running the lab's fixture plugin `acme`
// v1.0.0 on three mounts, a release v1.0.1 rolled out canary first, then a
// rollback to v1.0.0 from workflow_dispatch. Each run is the bundled action.
import { startReleaseServer } from './release-server.ts';
import { assetTemplate, pluginRelease } from './releases.ts';
import { runAction, type RunOptions, type RunResult } from './runner.ts';
import { enableMount, installPlugin } from './seed.ts';
import { startServer } from './server.ts';

export const DEMO_MOUNTS = ['acme', 'team-a/acme', 'team-b/acme'];

export interface DemoRuns {
  release: RunResult;
  rollback: RunResult;
}

export async function runDemo(): Promise<DemoRuns> {
  const githubToken = 'demo-github-token';
  const [bao, github] = await Promise.all([
    startServer('openbao'),
    startReleaseServer({ token: githubToken }),
  ]);
  try {
    await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
    for (const path of DEMO_MOUNTS) await enableMount(bao, 'secret', path, 'acme', 'v1.0.0');
    for (const version of ['v1.0.0', 'v1.0.1']) {
      github.publish(
        pluginRelease({ server: 'openbao', name: 'acme', kind: 'secrets', version, format: 'zip' }),
      );
    }
    const base = (): RunOptions => ({
      apiUrl: github.apiUrl,
      inputs: {
        url: bao.address,
        token: bao.token,
        'github-token': githubToken,
        'plugin-type': 'secret',
        'plugin-name': 'acme',
        artifact: assetTemplate('acme', 'zip'),
        'plugin-directory': bao.pluginDir,
        mounts: DEMO_MOUNTS.join('\n'),
        canary: 'acme',
        probe: 'info',
      },
    });
    const release = await runAction({ ...base(), ref: 'refs/tags/v1.0.1' });
    const rollback = await runAction({
      ...base(),
      eventName: 'workflow_dispatch',
      event: { inputs: { version: 'v1.0.0' } },
    });
    return { release, rollback };
  } finally {
    await Promise.all([bao.stop(), github.close()]);
  }
}
