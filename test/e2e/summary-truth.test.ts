// Each kind of run, against a real server, with its summary read back: no
// line may claim what the server shows did not happen, and the true account
// must be there. Where the summary gives advice, the test follows it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary, serverBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { acmeRolloutInputs, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { shellCalls } from '../../lab/shell.ts';

const SERVER = serverUnderTest();
const GITHUB_TOKEN = 'ghs_summarytruth';
/** The mounts the README's rollback workflow lists in its `MOUNTS` default. */
const WORKFLOW_MOUNTS = 'acme\nteam-a/acme';

let server: LabServer;
let github: ReleaseServer;
const sha: Record<string, string> = {};

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of ['acme', 'team-a/acme']) {
    await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  }
  for (const [version, kind] of [
    ['v1.0.0', 'secrets'],
    ['v1.0.1', 'secrets'],
    ['v1.1.0', 'secrets'],
    ['v1.0.2', 'broken'],
  ] as const) {
    github.publish(pluginRelease({ server: SERVER, name: 'acme', kind, version, format: 'zip' }));
    sha[version] = await sha256File(fixtureBinary(SERVER, kind, version));
  }
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function rollout(tag: string, inputs: Record<string, string>): RunOptions {
  return {
    ref: `refs/tags/${tag}`,
    apiUrl: github.apiUrl,
    inputs: { ...acmeRolloutInputs(server, GITHUB_TOKEN), ...inputs },
  };
}

/** The step of the README's rollback workflow, started as `gh workflow run -f …` starts it. */
function rollbackWorkflow(dispatch: Record<string, string>): RunOptions {
  return {
    eventName: 'workflow_dispatch',
    event: { inputs: dispatch },
    apiUrl: github.apiUrl,
    inputs: {
      ...acmeRolloutInputs(server, GITHUB_TOKEN),
      mounts: dispatch.mounts || WORKFLOW_MOUNTS,
    },
  };
}

function section(summary: string, title: string): string {
  const start = summary.indexOf(`### ${title}\n`);
  if (start < 0) return '';
  const end = summary.indexOf('\n### ', start + 1);
  return summary.slice(start, end < 0 ? undefined : end);
}

function shBlock(text: string): string {
  return /```sh\n([\s\S]*?)\n```/.exec(text)?.[1] ?? '';
}

async function expectOn(path: string, version: string): Promise<void> {
  expect(await liveMount(server, 'secret', path), path).toMatchObject({
    version,
    runningVersion: version,
    runningSha256: sha[version],
  });
}

/** Runs a snippet as a person would paste it, with the lab's CLI as `vault`. */
function paste(snippet: string): Promise<void> {
  const cli = serverBinary(SERVER);
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', `vault() { "${cli}" "$@"; }\n${snippet}`],
      {
        env: {
          PATH: process.env.PATH ?? '',
          VAULT_ADDR: server.address,
          VAULT_TOKEN: server.token,
        },
        timeout: 30_000,
      },
      (error, _stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve()),
    );
  });
}

describe('every summary line is true for its run', () => {
  it('after a bad input: names no server it never reached, and says nothing was written', async () => {
    const mark = await server.auditMark();
    const run = await runAction(rollout('v1.0.1', { mounts: 'acme', 'dry-run': 'yes' }));

    expect(run.exitCode).toBe(1);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(run.summary.split('\n').slice(0, 3)).toEqual([
      '## ❌ Failed: `acme`',
      '',
      'Stopped at the config stage, before any server was contacted. Nothing was written.',
    ]);
    expect(run.summary).not.toContain('the server`');
    expect(run.summary).not.toContain(server.address);
  });

  it('a dry run: says the version is not registered, and writes nothing', async () => {
    const mark = await server.auditMark();
    const run = await runAction(rollout('v1.0.1', { mounts: WORKFLOW_MOUNTS, 'dry-run': 'true' }));

    expect(run.exitCode, run.log).toBe(0);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toBeNull();
    expect(run.summary).toMatch(/^## 📝 Planned — nothing written: `acme` `v1\.0\.1`\n/);
    expect(run.summary).toContain(
      '- Catalog: not registered; a run without dry-run registers it, command `acme-v1.0.1`',
    );
    expect(run.summary).not.toContain('registered by this run');
    expect(run.summary).not.toContain('### Roll back');
  });

  it('a success: the previous version really stays registered, and the way back names the mount', async () => {
    const run = await runAction(rollout('v1.0.1', { mounts: 'acme' }));

    expect(run.exitCode, run.log).toBe(0);
    await expectOn('acme', 'v1.0.1');
    expect(run.summary).toContain('1 mount verified running the new binary.');
    expect(run.summary).toContain('- Catalog: registered by this run, command `acme-v1.0.1`');
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).not.toBeNull();
    const back = section(run.summary, 'Roll back');
    expect(back).toContain('with `version` `v1.0.0` and `mounts` `acme`');
    expect(back).toContain('`v1.0.0` stays registered, so a rollback to it only tunes');
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.0')).not.toBeNull();
  });

  it('an unchanged rerun: writes nothing and claims no registration', async () => {
    const mark = await server.auditMark();
    const run = await runAction(rollout('v1.0.1', { mounts: 'acme' }));

    expect(run.exitCode, run.log).toBe(0);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(run.outputs.changed).toBe('false');
    expect(run.summary).toContain('## ➖ Unchanged: `acme` `v1.0.1` was already in place');
    expect(run.summary).toContain('nothing was written; 1 mount verified.');
    expect(run.summary).toContain('- Catalog: already registered with this SHA-256');
    expect(run.summary).not.toContain('registered by this run');
    expect(run.summary).not.toContain('### Roll back');
  });

  it('a success with keep-versions: says the previous versions were deregistered, and its per-mount advice works', async () => {
    const run = await runAction(
      rollout('v1.1.0', { mounts: WORKFLOW_MOUNTS, 'keep-versions': '1' }),
    );

    expect(run.exitCode, run.log).toBe(0);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.0')).toBeNull();
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toBeNull();
    const back = section(run.summary, 'Roll back');
    expect(back).toContain(
      '`v1.0.1`, `v1.0.0` were deregistered by this run, so a rollback to them registers them again from their releases first.',
    );
    expect(back).not.toMatch(/stays? registered/);

    // Follow the advice exactly: each command is one run of the rollback workflow.
    const calls = await shellCalls(shBlock(back), ['gh'], server.pluginDir);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const dispatch: Record<string, string> = {};
      call.forEach((word, i) => {
        if (call[i - 1] !== '-f') return;
        const at = word.indexOf('=');
        dispatch[word.slice(0, at)] = word.slice(at + 1);
      });
      expect(call.slice(0, 6)).toEqual([
        'gh',
        'workflow',
        'run',
        'rollback.yml',
        '--repo',
        'acme/acme-plugin',
      ]);
      const rolledBack = await runAction(rollbackWorkflow(dispatch));
      expect(rolledBack.exitCode, rolledBack.log).toBe(0);
      expect(rolledBack.summary).toContain('- Catalog: registered by this run');
    }
    await expectOn('acme', 'v1.0.1');
    await expectOn('team-a/acme', 'v1.0.0');
  });

  it('an automatic rollback: the error once, no registration offered, and what stays behind removable as shown', async () => {
    const run = await runAction(rollout('v1.0.2', { mounts: WORKFLOW_MOUNTS }));

    expect(run.exitCode).toBe(1);
    expect(run.outputs['rolled-back']).toBe('true');
    await expectOn('acme', 'v1.0.1');
    await expectOn('team-a/acme', 'v1.0.0');
    expect(run.summary).toMatch(
      /^## ↩️ Rolled back: `acme` `v1\.0\.2` failed at the rollout stage\n/,
    );
    // The annotation keeps the server's whole message; the summary quotes it once, bounded.
    const full = run.errors[0] ?? '';
    const caution = /> \[!CAUTION\]\n> (.*)\n/.exec(run.summary)?.[1] ?? '';
    expect(caution).toContain('cannot reload plugin on');
    expect(run.summary.split('[!CAUTION]')).toHaveLength(2);
    expect(run.summary.split(caution.slice(0, 80))).toHaveLength(2);
    expect(caution.replace(/&#\d+;/g, '_').length).toBeLessThanOrEqual(1100);
    expect(full.length).toBeGreaterThan(caution.replace(/&#\d+;/g, '_').length);
    expect(run.summary).not.toContain('Register it yourself');
    expect(run.summary).not.toMatch(/nothing else to clean up/i);

    const left = section(run.summary, 'Left behind');
    const file = join(server.pluginDir, 'acme-v1.0.2');
    expect(left).toContain('- `v1.0.2` stays registered in the catalog; this run registered it.');
    expect(left).toContain(
      `- Its file \`${file}\` stays in the plugin directory; this run placed it.`,
    );
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.2')).not.toBeNull();
    expect(existsSync(file)).toBe(true);

    await paste(shBlock(left));
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.2')).toBeNull();
    expect(existsSync(file)).toBe(false);
    await expectOn('acme', 'v1.0.1');
  });

  it('a failure with rollback-on-failure false: shows what each mount is configured for and what it runs', async () => {
    const run = await runAction(
      rollout('v1.0.2', { mounts: 'acme', 'rollback-on-failure': 'false' }),
    );

    expect(run.exitCode).toBe(1);
    const live = await liveMount(server, 'secret', 'acme');
    expect(live.version).toBe('v1.0.2');
    expect(live.runningVersion).not.toBe('v1.0.2');
    const now = section(run.summary, 'Where the servers are now');
    expect(now).toContain(
      `- configured for \`v1.0.2\` (the new version), running ${live.runningVersion ? `\`${live.runningVersion}\`` : 'no version'}`,
    );
    expect(now).toContain('the next reload or restart starts `v1.0.2`: `acme/`');
    expect(now).not.toMatch(/^- running /m);
    expect(run.summary).toContain(`(configured \`v1.0.2\`)`);
    expect(run.summary).toContain('Automatic rollback was off.');
    expect(run.summary).not.toContain('Register it yourself');
  });
});
