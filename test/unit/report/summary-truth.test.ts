// Every line of a summary must be true for the run it describes: each case
// is a run where an earlier summary said something that had not happened.
import { describe, expect, it } from 'vitest';
import type { ArtifactFacts } from '../../../src/artifact/facts.ts';
import { briefError, withoutRepeats } from '../../../src/report/error-text.ts';
import type { RunReport } from '../../../src/rollout/run-report.ts';
import { renderSummary } from '../../../src/report/summary.ts';
import { emptyRecord } from '../../../src/rollout/apply.ts';
import type { Plan } from '../../../src/rollout/plan.ts';
import type { TargetOutcome } from '../../../src/rollout/verify.ts';

const NEW = 'c'.repeat(64);
const OLD = 'a'.repeat(64);

const PLAN: Plan = {
  pluginType: 'secret',
  pluginName: 'acme',
  version: 'v1.1.0',
  sha256: NEW,
  command: 'acme-v1.1.0',
  pluginFile: 'copy',
  catalog: 'register',
  targets: [
    { path: 'acme', from: 'v1.0.1', to: 'v1.1.0', runningVersion: 'v1.0.1', runningSha256: OLD },
    {
      path: 'team-a/acme',
      from: 'v1.0.0',
      to: 'v1.1.0',
      runningVersion: 'v1.0.0',
      runningSha256: OLD,
    },
  ].map((m) => ({ ...m, action: 'tune' as const })),
  discovered: null,
  batches: [['acme', 'team-a/acme']],
  canary: false,
  pinned: null,
  pin: null,
  pinnedElsewhere: [],
  everyTarget: null,
  catalogEntry: null,
  server: { pins: false, pluginReload: false, connectionReload: false },
  prune: [],
  changes: true,
};

const ARTIFACT: ArtifactFacts = {
  origin: {
    kind: 'release',
    repository: 'acme/acme-plugin',
    tag: 'v1.1.0',
    htmlUrl: 'https://github.com/acme/acme-plugin/releases/tag/v1.1.0',
    prerelease: false,
  },
  asset: 'acme_1.1.0_linux_amd64.zip',
  format: 'zip',
  assetSha256: 'b'.repeat(64),
  binaryName: 'acme',
  binaryPath: '/tmp/acme',
  sha256: NEW,
  checksums: { file: 'acme_1.1.0_SHA256SUMS', covers: ['archive'] },
  signature: null,
  attestation: null,
  pinned: false,
  cached: false,
  verified: true,
};

function mount(
  path: string,
  previous: string,
  result: TargetOutcome['result'],
  configured: string,
  running: string,
): TargetOutcome {
  return {
    path,
    previous,
    target: 'v1.1.0',
    version: configured,
    runningVersion: running,
    runningSha256: running === 'v1.1.0' ? NEW : OLD,
    result,
    problem: '',
    evidence: result === 'updated' || result === 'rolled-back' ? ['sha256'] : [],
    nodes: [],
  };
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.1.0',
    server: 'https://vault.example.com',
    namespace: '',
    serverIdentity: 'Vault 1.21.0 community, single node',
    login: 'token',
    artifact: ARTIFACT,
    plan: PLAN,
    planOrigin: null,
    savedPlan: null,
    readBack: true,
    record: emptyRecord(),
    targets: [],
    timings: [],
    error: null,
    dryRun: false,
    summary: true,
    rollbackWorkflow: {
      file: 'rollback.yml',
      repository: 'acme/acme-plugin',
      url: 'https://github.com/acme/acme-plugin/actions/workflows/rollback.yml',
    },
    rollback: null,
    ...overrides,
  };
}

const success = report({
  targets: [
    mount('acme', 'v1.0.1', 'updated', 'v1.1.0', 'v1.1.0'),
    mount('team-a/acme', 'v1.0.0', 'updated', 'v1.1.0', 'v1.1.0'),
  ],
  record: {
    ...emptyRecord(),
    placedFile: '/plugins/acme-v1.1.0',
    registered: true,
    tuned: ['acme', 'team-a/acme'],
    reloaded: ['acme', 'team-a/acme'],
  },
});

/** The automatic rollback after a plugin that cannot start: a message as OpenBao nests it, per mount. */
const PLUGIN_OUTPUT =
  "Unrecognized remote plugin message: Failed to read any lines from plugin's stdout This usually means the plugin was not compiled for this architecture Path: /plugins/acme-v1.1.0";
const RELOAD_ERROR = `PUT /v1/sys/plugins/reload/backend answered 400: 2 errors occurred: * cannot reload plugin on "acme/": invalid backend version: 2 errors occurred: * ${PLUGIN_OUTPUT} * ${PLUGIN_OUTPUT} * cannot reload plugin on "team-a/acme/": invalid backend version: 2 errors occurred: * ${PLUGIN_OUTPUT} * ${PLUGIN_OUTPUT}`;
const rolledBack = report({
  targets: [
    mount('acme', 'v1.0.1', 'rolled-back', 'v1.0.1', 'v1.0.1'),
    mount('team-a/acme', 'v1.0.0', 'rolled-back', 'v1.0.0', 'v1.0.0'),
  ],
  record: success.record,
  error: { stage: 'rollout', message: RELOAD_ERROR },
  rollback: { error: '' },
});

describe('the summary says only what happened', () => {
  it('after a success, says which previous versions stay registered', () => {
    const text = renderSummary(success);
    expect(text).toContain(
      '`v1.0.1`, `v1.0.0` stay registered, so a rollback to them only tunes, reloads and verifies.',
    );
    expect(text).toContain('- Catalog: registered by this run');
  });

  it('after keep-versions deregistered a previous version, does not say it stays registered', () => {
    const text = renderSummary({
      ...success,
      plan: { ...PLAN, prune: ['v1.0.0'] },
      record: { ...success.record, deregistered: ['v1.0.0'] },
    });
    expect(text).toContain('`v1.0.1` stays registered, so a rollback to it only tunes');
    expect(text).toContain(
      '`v1.0.0` was deregistered by this run, so a rollback to it registers it again from its release first.',
    );
    expect(text).not.toMatch(
      /previous version stays registered|`v1\.0\.0`[^\n]* stays? registered/,
    );
  });

  it('gives per-mount rollback runs the rollback workflow can follow: version and mounts', () => {
    const text = renderSummary(success);
    expect(text).toContain(
      '- `acme/`: run [rollback.yml](https://github.com/acme/acme-plugin/actions/workflows/rollback.yml) with `version` `v1.0.1` and `mounts` `acme`',
    );
    expect(text).toContain(
      'gh workflow run rollback.yml --repo acme/acme-plugin -f version=v1.0.1 -f mounts=acme\ngh workflow run rollback.yml --repo acme/acme-plugin -f version=v1.0.0 -f mounts=team-a/acme\n',
    );
  });

  it('names the connections input for database plugins', () => {
    const text = renderSummary({
      ...success,
      pluginType: 'database',
      targets: [mount('database/orders', 'v1.0.1', 'updated', 'v1.1.0', 'v1.1.0')],
    });
    expect(text).toContain('with `version` `v1.0.1` and `connections` `database/orders`');
    expect(text).toContain('-f version=v1.0.1 -f connections=database/orders');
  });

  it('offers no workflow run with a builtin version, which the version input refuses', () => {
    const text = renderSummary({
      ...success,
      targets: [mount('kv', 'v0.25.0+builtin', 'updated', 'v1.1.0', 'v1.1.0')],
    });
    expect(text).toContain(
      '- `kv/` ran the builtin `v0.25.0+builtin` before; go back with a run of this action with `revert-to-builtin: true` and these `mounts`.',
    );
    expect(text).not.toContain('version=v0.25.0+builtin');
  });

  it('in a dry run, says the version is not registered', () => {
    const text = renderSummary(report({ dryRun: true }));
    expect(text).toContain('- Catalog: not registered; a run without dry-run registers it');
    expect(text).not.toContain('registered by this run');
  });

  it('when the run stopped before registering, says so', () => {
    const text = renderSummary(
      report({
        error: { stage: 'rollout', message: 'plugin-directory: cannot write' },
        record: emptyRecord(),
      }),
    );
    expect(text).toContain('- Catalog: not registered; the run stopped before registering it');
  });

  it('with rollback off, shows the configured version beside the running one where they differ', () => {
    const text = renderSummary(
      report({
        targets: [mount('acme', 'v1.0.1', 'failed', 'v1.1.0', 'v1.0.1')],
        record: { ...success.record, tuned: ['acme'], reloaded: ['acme'] },
        error: { stage: 'rollout', message: 'cannot reload plugin on "acme/"' },
      }),
    );
    expect(text).toContain('| `v1.0.1` (configured `v1.1.0`) |');
    expect(text).toContain(
      '- configured for `v1.1.0` (the new version), running `v1.0.1` (the previous version); the next reload or restart starts `v1.1.0`: `acme/`',
    );
    expect(text).not.toMatch(/^- running `v1\.0\.1`/m);
  });

  it('while a pin decides what starts, does not claim the next start loads the configured version', () => {
    const text = renderSummary(
      report({
        plan: { ...PLAN, pinned: 'v1.0.1' },
        targets: [mount('acme', 'v1.0.1', 'failed', 'v1.1.0', 'v1.0.1')],
        record: { ...success.record, tuned: ['acme'] },
        error: { stage: 'rollout', message: 'verification failed' },
      }),
    );
    expect(text).toContain(
      '- configured for `v1.1.0` (the new version), running `v1.0.1` (the previous version): `acme/`',
    );
    expect(text).not.toContain('the next reload or restart starts');
  });

  it('after an automatic rollback, quotes the error once and the plugin output once', () => {
    const text = renderSummary(rolledBack);
    expect(text.split('Unrecognized remote plugin message').length - 1).toBe(1);
    expect(text.split('cannot reload plugin on').length - 1).toBe(2);
    expect(text).toContain('&#42; &#40;the same again&#41;');
  });

  it('after an automatic rollback, offers no registration of the binary that failed', () => {
    const text = renderSummary(rolledBack);
    expect(text).not.toContain('Register it yourself');
    expect(text).not.toContain('vault plugin register');
  });

  it('after an automatic rollback, says what stays behind and how to remove it', () => {
    const text = renderSummary(rolledBack);
    expect(text).toContain(
      '### Left behind\n\n- `v1.1.0` stays registered in the catalog; this run registered it.\n- Its file `/plugins/acme-v1.1.0` stays in the plugin directory; this run placed it.',
    );
    expect(text).toContain(
      '```sh\nvault plugin deregister -version=v1.1.0 secret acme\nrm -- /plugins/acme-v1.1.0\n```',
    );
    expect(text).not.toMatch(/nothing else to clean up/i);
  });

  it('after an automatic rollback of a version registered before, offers no deregistration', () => {
    const text = renderSummary({
      ...rolledBack,
      plan: { ...PLAN, catalog: 'present', pluginFile: 'present' },
      record: { ...rolledBack.record, placedFile: '', registered: false },
    });
    expect(text).toContain(
      '- `v1.1.0` stays registered in the catalog, as it was before this run.',
    );
    expect(text).not.toContain('vault plugin deregister');
  });

  it('after a bad input, names no server it never learned', () => {
    const text = renderSummary(
      report({
        server: '',
        version: '',
        plan: null,
        artifact: null,
        serverIdentity: '',
        login: '',
        error: { stage: 'config', message: 'dry-run: "yes" is not a boolean; use true or false' },
      }),
    );
    expect(text.split('\n').slice(0, 3)).toEqual([
      '## ❌ Failed: `acme`',
      '',
      'Stopped at the config stage, before any server was contacted. Nothing was written.',
    ]);
    expect(text).not.toMatch(/the server`|secret plugin on/);
  });
});

describe('a run that allow-unverified let through', () => {
  const unverified: ArtifactFacts = { ...ARTIFACT, checksums: null, verified: false };

  it('says unverified at the top and never calls the binary verified', () => {
    const text = renderSummary({ ...success, artifact: unverified });
    const [title, , status, , warning, notice] = text.split('\n');
    expect(title).toBe('## ✅ Rolled out `acme` `v1.1.0` — unverified');
    expect(status).toBe(
      'secret plugin on `https://vault.example.com`: 2 mounts run the new binary, as read back from the server; nothing vouched for the binary itself.',
    );
    expect(warning).toBe('> [!WARNING]');
    expect(notice).toContain('**Unverified.** Nothing vouched for `acme_1.1.0_linux_amd64.zip`');
    expect(text).toContain('- **Unverified**: nothing vouched for this binary');
    expect(text).not.toMatch(/(?<!un)verified (running|binary)/);
  });

  it('says unverified in a dry run and an unchanged run too', () => {
    expect(renderSummary(report({ artifact: unverified, dryRun: true }))).toMatch(
      /^## 📝 Planned — nothing written: `acme` `v1\.1\.0` — unverified\n/,
    );
    const unchanged = renderSummary({
      ...success,
      artifact: unverified,
      plan: { ...PLAN, changes: false },
      targets: [mount('acme', 'v1.1.0', 'unchanged', 'v1.1.0', 'v1.1.0')],
    });
    expect(unchanged).toContain('— unverified\n');
    expect(unchanged).toContain(
      'nothing was written; 1 mount runs it, as read back from the server.',
    );
    expect(unchanged).not.toContain('mount verified');
  });
});

describe('the error as the summary quotes it', () => {
  it('marks each item that repeats an earlier one', () => {
    expect(withoutRepeats('2 errors occurred: * a * b * a * c: 1 error occurred: * b')).toBe(
      '2 errors occurred: * a * b * (the same again) * c: 1 error occurred: * (the same again)',
    );
    expect(withoutRepeats('no items here')).toBe('no items here');
  });

  it('cuts a long message at a word and says where the whole is', () => {
    const long = `start ${'word '.repeat(400)}end`;
    const brief = briefError(long);
    expect(brief.length).toBeLessThanOrEqual(1100);
    expect(brief).toMatch(
      /^start word word .* … \(cut short; the whole message is in the step's log\)$/,
    );
    expect(brief).not.toContain('end');
    expect(briefError('short')).toBe('short');
  });
});
