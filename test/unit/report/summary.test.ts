import { describe, expect, it } from 'vitest';
import { outputsOf } from '../../../src/report/outputs.ts';
import type { RunReport } from '../../../src/rollout/run-report.ts';
import { renderRunSummary } from '../../../src/report/namespaces-summary.ts';
import { renderSummary } from '../../../src/report/summary.ts';
import { emptyRecord } from '../../../src/rollout/apply.ts';
import type { Plan } from '../../../src/rollout/plan.ts';
import type { TargetOutcome } from '../../../src/rollout/verify.ts';

const SHA = 'c'.repeat(64);
const OLD = 'a'.repeat(64);

const PLAN: Plan = {
  pluginType: 'secret',
  pluginName: 'acme',
  version: 'v1.0.1',
  sha256: SHA,
  command: 'acme-v1.0.1',
  pluginFile: 'copy',
  catalog: 'register',
  targets: ['acme', 'team-a/acme', 'team-b/acme'].map((path) => ({
    path,
    from: 'v1.0.0',
    to: 'v1.0.1',
    runningVersion: 'v1.0.0',
    runningSha256: OLD,
    action: 'tune' as const,
  })),
  discovered: null,
  batches: [['acme'], ['team-a/acme', 'team-b/acme']],
  canary: true,
  pinned: null,
  pin: null,
  pinnedElsewhere: [],
  everyTarget: null,
  catalogEntry: null,
  server: { pins: false, pluginReload: false, connectionReload: false },
  prune: [],
  changes: true,
};

function outcome(path: string, result: TargetOutcome['result'], running = 'v1.0.1'): TargetOutcome {
  return {
    path,
    previous: 'v1.0.0',
    target: 'v1.0.1',
    version: running,
    runningVersion: running,
    runningSha256: running === 'v1.0.1' ? SHA : OLD,
    result,
    problem: '',
    evidence: result === 'updated' ? ['sha256'] : [],
    nodes: [],
  };
}

const ROLLBACK_WORKFLOW = {
  file: 'rollback.yml',
  repository: 'acme/acme-plugin',
  url: 'https://github.com/acme/acme-plugin/actions/workflows/rollback.yml',
};

function mermaidOf(text: string): string {
  const match = /```mermaid\n([\s\S]*?)\n```/.exec(text);
  if (!match?.[1]) throw new Error(`no mermaid block in:\n${text}`);
  return match[1];
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.0.1',
    server: 'https://vault.example.com',
    namespace: '',
    serverIdentity: '',
    login: '',
    artifact: null,
    plan: null,
    planOrigin: null,
    savedPlan: null,
    record: emptyRecord(),
    targets: [],
    readBack: true,
    timings: [],
    error: null,
    dryRun: false,
    summary: true,
    rollbackWorkflow: null,
    rollback: null,
    ...overrides,
  };
}

describe('renderSummary', () => {
  it('leads a failure with the stage and the truth about writes', () => {
    const text = renderSummary(
      report({
        error: {
          stage: 'rollout',
          message: 'PUT /v1/sys/mounts/acme/tune answered 400: plugin not found',
        },
        record: { ...emptyRecord(), registered: true, tuned: ['acme'] },
      }),
    );
    expect(text.split('\n')[0]).toBe('## ❌ Failed: `acme` `v1.0.1`');
    expect(text).toContain(
      'stopped at the rollout stage. Writes made before the failure: registered the version; tuned `acme`. Automatic rollback was off.',
    );
    expect(text).toContain('> PUT /v1/sys/mounts/acme/tune answered 400: plugin not found');
  });

  it('does not talk of a rollback when no mount was moved', () => {
    const text = renderSummary(
      report({
        error: { stage: 'rollout', message: 'the server changed since the plan was made: …' },
        record: { ...emptyRecord(), placedFile: '/plugins/acme-v1.0.1', registered: true },
        rollback: null,
      }),
    );
    expect(text).toContain(
      'Writes made before the failure: placed `/plugins/acme-v1.0.1`; registered the version. Nothing to roll back: no mount was tuned.',
    );
    expect(text).not.toMatch(/rollback was off|rollback failed/i);
  });

  it('escapes text that came from users or servers', () => {
    const text = renderSummary(
      report({
        targets: [
          {
            path: 'a|b',
            previous: 'v1',
            target: 'v2',
            version: 'v2',
            runningVersion: 'v1',
            runningSha256: SHA,
            result: 'failed',
            problem: '<img src=x onerror=alert(1)> | broken',
            evidence: [],
            nodes: [],
          },
        ],
      }),
    );
    expect(text).not.toContain('<img');
    expect(text).toContain('&#60;img src=x onerror=alert&#40;1&#41;&#62; &#124; broken');
  });
});

describe('renderSummary of a rollout', () => {
  const success = report({
    plan: PLAN,
    targets: ['acme', 'team-a/acme', 'team-b/acme'].map((p) => outcome(p, 'updated')),
    record: { ...emptyRecord(), registered: true, tuned: ['acme', 'team-a/acme', 'team-b/acme'] },
    timings: [
      { stage: 'config', ms: 4 },
      { stage: 'artifact', ms: 250 },
      { stage: 'preflight', ms: 120 },
      { stage: 'rollout', ms: 2100 },
    ],
    rollbackWorkflow: ROLLBACK_WORKFLOW,
  });

  it('puts the status line first and the mount table right under it', () => {
    const text = renderSummary(success);
    const lines = text.split('\n');
    expect(lines[0]).toBe('## ✅ Rolled out `acme` `v1.0.1`');
    expect(lines[2]).toBe(
      'secret plugin on `https://vault.example.com`: 3 mounts verified running the new binary.',
    );
    expect(lines[4]).toBe(
      '| Mount | Before | Target | Running now | Running SHA-256 | Proven by | Result |',
    );
    expect(text).toContain(
      '| `team-b/acme/` | `v1.0.0` | `v1.0.1` | `v1.0.1` | `cccccccccccc` | running SHA-256 | ✅ updated |',
    );
  });

  it('says exactly how to roll back: the workflow link, the previous version, the mounts and the command', () => {
    const text = renderSummary(success);
    expect(text).toContain(
      '- `acme/`, `team-a/acme/`, `team-b/acme/`: run [rollback.yml](https://github.com/acme/acme-plugin/actions/workflows/rollback.yml) with `version` `v1.0.0` and `mounts` `acme`, `team-a/acme`, `team-b/acme`, one a line',
    );
    expect(text).toContain(
      "```sh\ngh workflow run rollback.yml --repo acme/acme-plugin -f version=v1.0.0 -f 'mounts=acme\nteam-a/acme\nteam-b/acme'\n```",
    );
    expect(text).toContain('`v1.0.0` stays registered, so a rollback to it only tunes');
  });

  it('gives one rollback line per previous version when mounts came from different ones', () => {
    const text = renderSummary({
      ...success,
      targets: [
        outcome('acme', 'updated'),
        { ...outcome('team-a/acme', 'updated'), previous: 'v0.9.0' },
      ],
    });
    expect(text).toContain('- `acme/`: run [rollback.yml]');
    expect(text).toContain(
      '- `team-a/acme/`: run [rollback.yml](https://github.com/acme/acme-plugin/actions/workflows/rollback.yml) with `version` `v0.9.0` and `mounts` `team-a/acme`',
    );
    expect(text).toContain(
      '-f version=v1.0.0 -f mounts=acme\ngh workflow run rollback.yml --repo acme/acme-plugin -f version=v0.9.0 -f mounts=team-a/acme\n',
    );
  });

  it('offers no rollback when nothing moved', () => {
    const text = renderSummary({
      ...success,
      plan: { ...PLAN, changes: false },
      targets: [{ ...outcome('acme', 'unchanged'), previous: 'v1.0.1' }],
    });
    expect(text).toContain('## ➖ Unchanged');
    expect(text).not.toContain('### Roll back');
  });

  it('draws the stages, the canary and each batch with its mounts, coloured by result', () => {
    const diagram = mermaidOf(renderSummary(success));
    expect(diagram.split('\n')[0]).toBe('flowchart LR');
    expect(diagram).toContain('  config --> artifact --> preflight --> server');
    expect(diagram).toContain('    subgraph batch1["canary"]');
    expect(diagram).toContain('      m0["acme/<br/>v1.0.0 #8594; v1.0.1<br/>updated"]');
    expect(diagram).toContain('    subgraph batch2["batch 2"]');
    expect(diagram).toContain('    batch1 --> batch2');
    expect(diagram).toContain('  class config,artifact,preflight,m0,m1,m2 ok');
    expect(diagram).not.toContain('rollback');
  });

  it('shows what each node itself runs, in the table and the diagram', () => {
    const view = (node: string, problem = '') => ({
      node,
      runningVersion: problem ? 'v1.0.0' : 'v1.0.1',
      runningSha256: problem ? OLD : SHA,
      problem,
    });
    const withNodes: RunReport = {
      ...success,
      targets: success.targets.map((m) => ({
        ...m,
        nodes: [view('https://n1:8200'), view('https://n2:8200', m.path === 'acme' ? 'lags' : '')],
      })),
    };
    const text = renderSummary(withNodes);
    expect(text).toContain('1/2 ❌<br>`https://n2:8200` runs `v1.0.0`');
    const diagram = mermaidOf(text);
    expect(diagram).toContain('    subgraph nodes["each node, read through its own address"]');
    expect(diagram).toContain('      node1["https://n1:8200 ✓<br/>3/3 mounts"]');
    expect(diagram).toContain('      node2["https://n2:8200 ✗<br/>2/3 mounts"]');
    expect(diagram).toMatch(/class [^\n]*node2[^\n]* failed/);
  });

  it('marks the failed batch, the mounts never reached and the rollback', () => {
    const text = renderSummary({
      ...success,
      targets: [
        outcome('acme', 'rolled-back', 'v1.0.0'),
        outcome('team-a/acme', 'not-started', 'v1.0.0'),
        outcome('team-b/acme', 'not-started', 'v1.0.0'),
      ],
      error: { stage: 'rollout', message: 'cannot reload plugin on "acme/"' },
      rollback: { error: '' },
      timings: [...success.timings, { stage: 'rollback', ms: 900 }],
    });
    const diagram = mermaidOf(text);
    expect(diagram).toContain('  server -.-> rollback');
    expect(diagram).toContain('  class m0,rollback back');
    expect(diagram).toContain('  class m1,m2 idle');
    expect(text).not.toContain('### Roll back');
    expect(text.split('cannot reload plugin on').length - 1).toBe(1);
  });

  it('after a failure with rollback off, groups the mounts by what they run now', () => {
    const text = renderSummary({
      ...success,
      targets: [
        outcome('acme', 'failed'),
        outcome('team-a/acme', 'not-started', 'v1.0.0'),
        outcome('team-b/acme', 'not-started', 'v1.0.0'),
      ],
      error: { stage: 'rollout', message: 'probe failed' },
      record: { ...emptyRecord(), registered: true, tuned: ['acme'], reloaded: ['acme'] },
    });
    expect(text).toContain(
      '### Where the servers are now\n\n- running `v1.0.1` (the new version): `acme/`\n- running `v1.0.0` (the previous version): `team-a/acme/`, `team-b/acme/`\n- `v1.0.1` stays registered in the catalog',
    );
    expect(mermaidOf(text)).toContain('  class m0 failed');
  });

  it('shows time per stage and the total', () => {
    expect(renderSummary(success)).toContain(
      'Time per stage: Inputs 0.00 s · Artifact 0.25 s · Preflight 0.12 s · Rollout 2.10 s · **total 2.47 s**',
    );
  });

  it('keeps user and server text from breaking out of the diagram', () => {
    const hostile = 'x"]\n```\n<script>';
    const diagram = mermaidOf(renderSummary({ ...success, serverIdentity: hostile }));
    expect(diagram).toContain('subgraph server["x#34;#93;#10;#96;#96;#96;#10;#60;script#62;"]');
  });

  it('draws only the stages when the run stopped before planning', () => {
    const diagram = mermaidOf(
      renderSummary(
        report({
          error: { stage: 'preflight', message: 'permission: the token lacks "sudo"' },
          timings: [
            { stage: 'config', ms: 1 },
            { stage: 'preflight', ms: 30 },
          ],
        }),
      ),
    );
    expect(diagram).toContain('  config --> preflight');
    expect(diagram).toContain('  preflight["Preflight ✗<br/>0.03 s"]');
    expect(diagram).toContain('  class preflight failed');
  });
});

describe('outputsOf', () => {
  it('reports changed=false and an empty reload id when nothing was written', () => {
    expect(outputsOf([report()])).toEqual({
      version: 'v1.0.1',
      sha256: '',
      command: '',
      changed: 'false',
      result: '[]',
      plan: '',
      'reload-id': '',
      'rolled-back': 'false',
      provenance: '',
      'register-command': '',
    });
  });
});

describe('a failure the server could not be read after', () => {
  const lost = report({
    plan: PLAN,
    error: { stage: 'rollout', message: 'PUT /v1/sys/plugins/reload/backend: no answer from …' },
    record: {
      ...emptyRecord(),
      registered: true,
      tuned: ['acme', 'team-a/acme'],
      reloaded: ['team-a/acme'],
      unsettled: [
        { write: 'tune team-a/acme', applied: 'unknown' },
        { write: 'reload team-a/acme', applied: 'unknown' },
      ],
    },
    rollback: { error: 'POST /v1/sys/mounts/acme/tune: no answer from …' },
    readBack: false,
    targets: [
      { ...outcome('acme', 'unknown', 'v1.0.0'), problem: 'written to since it was last read' },
      {
        ...outcome('team-a/acme', 'unknown', 'v1.0.0'),
        problem: 'written to since it was last read',
      },
      outcome('team-b/acme', 'not-started', 'v1.0.0'),
    ],
  });

  it('tells the writes answered from those whose answer was lost', () => {
    const text = renderSummary(lost);
    expect(text).toContain(
      'Writes made before the failure: registered the version; tuned `acme`. Sent, but the answer was lost, so they may or may not have happened: tuned `team-a/acme`; reloaded `team-a/acme`.',
    );
  });

  it('shows each mount as last read, and marks unknown those written to since', () => {
    const text = renderSummary(lost);
    expect(text).toContain(
      'The server could not be read after the failure: the table shows each mount as the plan read it, and marks ❔ unknown every mount written to since.',
    );
    expect(text).toMatch(/^\| `acme\/` \|.*❔ unknown: written to since it was last read \|$/m);
    expect(text).toMatch(/^\| `team-b\/acme\/` \|.*⏸️ not started \|$/m);
    expect(JSON.parse(outputsOf([lost]).result ?? '') as { result: string }[]).toMatchObject([
      { result: 'unknown' },
      { result: 'unknown' },
      { result: 'not-started' },
    ]);
  });

  it('leaves out a write the server refused', () => {
    const text = renderSummary(
      report({
        error: { stage: 'rollout', message: 'permission: the token lacks "update" on …' },
        record: {
          ...emptyRecord(),
          registered: true,
          unsettled: [{ write: 'register', applied: 'no' }],
        },
      }),
    );
    expect(text).toContain('Nothing was written to the server.');
    expect(
      outputsOf([
        report({
          record: {
            ...emptyRecord(),
            registered: true,
            unsettled: [{ write: 'register', applied: 'no' }],
          },
        }),
      ]).changed,
    ).toBe('false');
  });
});

describe('the summary of a run over several namespaces', () => {
  const rolled = (namespace: string, previous: string): RunReport =>
    report({
      namespace,
      plan: PLAN,
      targets: [{ ...outcome('acme', 'updated'), previous }],
      record: { ...emptyRecord(), tuned: ['acme'], reloaded: ['acme'] },
      rollbackWorkflow: ROLLBACK_WORKFLOW,
    });

  it('offers one way back when every namespace ran the same version before', () => {
    const text = renderRunSummary([rolled('team-a', 'v1.0.0'), rolled('team-b', 'v1.0.0')]);

    expect(text).toContain('## ✅ Rolled out `acme` `v1.0.1` in 2 namespaces');
    expect(text.match(/gh workflow run/g)).toHaveLength(1);
    expect(text).toContain('-f version=v1.0.0');
  });

  it('sends each namespace back alone when they ran different versions before', () => {
    const text = renderRunSummary([rolled('team-a', 'v1.0.0'), rolled('team-b', 'v0.9.0')]);

    expect(text).not.toContain('gh workflow run');
    expect(text).toContain('back each in a run of its own, with `namespace` naming it alone');
  });

  it('names no namespace for a failure of the artifact they share', () => {
    const error = { stage: 'artifact' as const, message: 'checksums: no line for the asset' };
    const text = renderRunSummary([
      report({ namespace: 'team-a', error }),
      report({ namespace: 'team-b', error }),
    ]);

    expect(text).toContain('stopped at the artifact stage, before any namespace.');
    expect(text).toContain('| `team-b` | ❌ failed: checksums: no line for the asset | 0 |');
  });

  it('lists every namespace in the result output, and no saved plan', () => {
    const outputs = outputsOf([rolled('team-a', 'v1.0.0'), rolled('team-b', 'v1.0.0')]);

    expect(
      (JSON.parse(outputs.result ?? '') as { namespace: string }[]).map((r) => r.namespace),
    ).toEqual(['team-a', 'team-b']);
    expect(outputs.plan).toBe('');
    expect(outputs.changed).toBe('true');
  });
});
