// A demo rollout against a local OpenBao with the lab's fixture plugin:
// v1.0.0 → v1.0.1 on a tag push, then a rollback to v1.0.0 from
// workflow_dispatch. Each run is the bundled action, and its job summary is printed.
import { startBao } from '../test/lab/bao.ts';
import { startReleaseServer } from '../test/lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../test/lab/releases.ts';
import { runAction, type RunOptions, type RunResult } from '../test/lab/runner.ts';
import { enableMount, installPlugin } from '../test/lab/seed.ts';

const githubToken = 'demo-github-token';
const [bao, github] = await Promise.all([startBao(), startReleaseServer({ token: githubToken })]);
const exitCodes: number[] = [];
try {
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of ['acme', 'team-a/acme'])
    await enableMount(bao, 'secret', path, 'acme', 'v1.0.0');
  for (const version of ['v1.0.0', 'v1.0.1']) {
    github.publish(pluginRelease({ name: 'acme', kind: 'secrets', version, format: 'zip' }));
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
      mounts: 'acme\nteam-a/acme',
    },
  });
  const show = (title: string, run: RunResult): void => {
    console.log(`\n===== ${title}: exit ${run.exitCode} =====\n`);
    console.log(run.summary);
    exitCodes.push(run.exitCode);
  };
  show(
    'release v1.0.1 (push: tags: v1.0.1)',
    await runAction({ ...base(), ref: 'refs/tags/v1.0.1' }),
  );
  show(
    'rollback to v1.0.0 (workflow_dispatch)',
    await runAction({
      ...base(),
      eventName: 'workflow_dispatch',
      event: { inputs: { version: 'v1.0.0' } },
    }),
  );
} finally {
  await Promise.all([bao.stop(), github.close()]);
}
process.exitCode = exitCodes.length === 2 && exitCodes.every((code) => code === 0) ? 0 : 1;
