import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Marked, type Tokens } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { startHostileVault, type HostileVault } from '../../lab/hostile-vault.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { serverUnderTest } from '../../lab/server.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { shellCalls } from '../../lab/shell.ts';
import { workflowCommands } from '../../lab/workflow-commands.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_hostiletoken0123456789';
const VAULT_TOKEN = 'hostile-lab-token-0123456789';

// Every planted string carries INJECTED, so a command built from one is easy to name.
const VERSION = [
  '2.7.2',
  '::set-output name=sha256::0000INJECTED',
  '  ::stop-commands::INJECTED-stop',
  '\u0085::error::INJECTED-nel ##[set-output name=version]INJECTED-legacy',
].join('\n');
const MOUNT = [
  "team'a/<img src=x onerror=alert(1)>|<a href=https://evil.test/INJECTED>x</a>|",
  '::add-mask::INJECTED-mount',
  '\r::error title=INJECTED::mount',
].join('\n');
// On one line, so no line break can be what keeps it out of a code span.
const ONE_LINE_MOUNT =
  'team-b/x|<img src=x onerror=alert(3)>|<a href=https://evil.test/INJECTED>y</a>';
const PREVIOUS = [
  "v1.0.0$(touch pwned)'",
  '```',
  '<img src=x onerror=alert(2)>',
  '::set-output name=version::INJECTED-previous ##[add-mask]INJECTED-legacy',
].join('\n');
const RELOAD_ID = '4814b6ed\n::set-output name=changed::INJECTED-reload\n##[add-mask]INJECTED';
const COMMAND = 'acme-v1.0.1\'; touch pwned; echo "$(touch pwned)`touch pwned`${x}%{y}';

/** The commands the action itself writes; any other kind is an injection. */
const OURS = new Set(['group', 'endgroup', 'debug', 'notice', 'warning', 'error', 'add-mask']);
const OUTPUT_NAMES = [
  'changed',
  'command',
  'plan',
  'provenance',
  'register-command',
  'reload-id',
  'result',
  'rolled-back',
  'sha256',
  'version',
];

let github: ReleaseServer;
let sha = '';

beforeAll(async () => {
  github = await startReleaseServer({ token: GITHUB_TOKEN });
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
  sha = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
});

afterAll(async () => {
  await github.close();
});

async function hostileRun(
  server: HostileVault,
): Promise<{ run: RunResult; injected: ReturnType<typeof workflowCommands> }> {
  const run = await runAction({
    ref: 'refs/tags/v1.0.1',
    apiUrl: github.apiUrl,
    env: { RUNNER_DEBUG: '1' },
    inputs: {
      url: server.address,
      token: VAULT_TOKEN,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      'plugin-type': 'secret',
      artifact: assetTemplate('acme', 'zip'),
      mounts: 'all',
    },
  });
  const injected = workflowCommands(run.stdout).filter(
    (c) =>
      !OURS.has(c.name) ||
      c.info.includes('INJECTED') ||
      (c.name === 'add-mask' && ![VAULT_TOKEN, GITHUB_TOKEN].includes(c.data)),
  );
  return { run, injected };
}

function hostileServer(reloadErrors?: string[]): Promise<HostileVault> {
  return startHostileVault({
    version: VERSION,
    plugin: 'acme',
    mounts: [
      { path: MOUNT, pluginVersion: PREVIOUS },
      { path: ONE_LINE_MOUNT, pluginVersion: 'v1.0.0' },
      { path: 'acme', pluginVersion: 'v1.0.0' },
    ],
    catalog: [{ version: 'v1.0.1', sha256: sha, command: COMMAND }],
    reloadId: RELOAD_ID,
    ...(reloadErrors ? { reloadErrors } : {}),
  });
}

function rowsOfFirstTable(html: string): string[][] {
  const table = /<table>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1] ?? ''),
  );
}

describe('a server that plants workflow commands and markup in every string it sends', () => {
  it('rolls out without one of them reaching the runner, the outputs or the summary', async () => {
    const server = await hostileServer();
    const work = await mkdtemp(join(tmpdir(), 'lab-hostile-'));
    try {
      const { run, injected } = await hostileRun(server);

      expect(run.exitCode, run.stdout).toBe(0);
      expect(server.requests).toContain(`PUT /v1/sys/plugins/reload/backend`);
      expect(injected).toEqual([]);
      expect(Object.keys(run.outputs).sort()).toEqual(OUTPUT_NAMES);
      expect(run.outputs).toMatchObject({
        version: 'v1.0.1',
        sha256: sha,
        changed: 'true',
        command: COMMAND,
        'reload-id': RELOAD_ID,
        'rolled-back': 'false',
      });
      expect(JSON.parse(run.outputs.result ?? '[]')).toEqual([
        expect.objectContaining({ mount: 'acme', previous: 'v1.0.0', result: 'updated' }),
        expect.objectContaining({ mount: MOUNT, previous: PREVIOUS, result: 'updated' }),
        expect.objectContaining({ mount: ONE_LINE_MOUNT, previous: 'v1.0.0', result: 'updated' }),
      ]);

      const marked = new Marked({ gfm: true });
      const html = marked.parse(run.summary, { async: false });
      expect(html).not.toMatch(/<img|<a href="https:\/\/evil/);
      const rows = rowsOfFirstTable(html);
      expect(rows).toHaveLength(4);
      // Mount, Before, Target, Running now, Running SHA-256, Proven by, Result.
      for (const row of rows) expect(row).toHaveLength(7);

      const blocks = marked.lexer(run.summary).filter((t): t is Tokens.Code => t.type === 'code');
      const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.text);
      expect(shell).toHaveLength(2);
      const rollback = (version: string, mounts: string) => [
        'gh',
        'workflow',
        'run',
        'rollback.yml',
        '--repo',
        'acme/acme-plugin',
        '-f',
        `version=${version}`,
        '-f',
        `mounts=${mounts}`,
      ];
      expect(await shellCalls(shell[0] ?? '', ['gh'], work)).toEqual([
        rollback('v1.0.0', `acme\n${ONE_LINE_MOUNT}`),
        // Markdown reads a carriage return in a code block as a line break.
        rollback(PREVIOUS, MOUNT.replace(/\r/g, '\n')),
      ]);
      const register = [
        'vault',
        'plugin',
        'register',
        `-sha256=${sha}`,
        `-command=${COMMAND}`,
        '-version=v1.0.1',
        'secret',
        'acme',
      ];
      expect(await shellCalls(shell[1] ?? '', ['vault'], work)).toEqual([register]);
      expect(await shellCalls(run.outputs['register-command'] ?? '', ['vault'], work)).toEqual([
        register,
      ]);
      expect(existsSync(join(work, 'pwned'))).toBe(false);

      const hcl = blocks.find((b) => b.lang === 'hcl')?.text.split('\n') ?? [];
      expect(hcl).toHaveLength(6);
      // Every value a closed string: no quote of the server's ends one early.
      for (const line of hcl.slice(1, -1)) expect(line).toMatch(/^ {2}\w+ += "(?:[^"\\]|\\.)*"$/);
    } finally {
      await server.close();
      await rm(work, { recursive: true, force: true });
    }
  });

  it('keeps the server’s error text inside the one error annotation', async () => {
    const server = await hostileServer([
      'boom\n::set-output name=sha256::0000INJECTED',
      '##[add-mask]INJECTED-legacy',
      '\r::error::INJECTED-cr',
    ]);
    try {
      const { run, injected } = await hostileRun(server);

      expect(run.exitCode, run.stdout).toBe(1);
      expect(injected).toEqual([]);
      const errors = workflowCommands(run.stdout).filter((c) => c.name === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.data).toContain('PUT /v1/sys/plugins/reload/backend answered 400: boom');
      expect(Object.keys(run.outputs).sort()).toEqual(OUTPUT_NAMES);
      expect(run.outputs).toMatchObject({ version: 'v1.0.1', sha256: sha });
    } finally {
      await server.close();
    }
  });
});
