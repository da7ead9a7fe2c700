import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../src/report/summary.ts';
import { emptyRecord } from '../../../src/rollout/apply.ts';
import { planRollout, type Plan } from '../../../src/rollout/plan.ts';
import type { RunReport } from '../../../src/rollout/run-report.ts';
import { parseSavedPlan, recordPlan, type PlanOrigin } from '../../../src/rollout/saved-plan.ts';
import { pendingOutcomes } from '../../../src/rollout/verify.ts';

const OLD = '1'.repeat(64);
const NEW = '2'.repeat(64);
const RUN = 'https://github.com/acme/acme-plugin/actions/runs/4242';

const PLAN: Plan = planRollout({
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
  mountTable: new Map([
    [
      'acme',
      {
        path: 'acme',
        plugin: 'acme',
        version: 'v1.0.0',
        runningVersion: 'v1.0.0',
        runningSha256: OLD,
      },
    ],
  ]),
  pluginFile: { present: false },
  pin: null,
  movePin: false,
  server: {
    name: 'OpenBao 2.7.2',
    pins: false,
    pluginReload: false,
    connectionReload: false,
    reloadStatus: false,
  },
  catalogVersions: [],
  keepVersions: null,
  allTargets: new Map(),
});

function origin(clusterName = 'vault-cluster-b5060d4c'): PlanOrigin {
  return {
    server: {
      url: 'https://vault.example.com',
      cluster_id: '4e6b755a-15f0-7580-eb17-44db026756c8',
      cluster_name: clusterName,
      product: 'OpenBao 2.7.2',
      namespace: '',
    },
    inputs: { version: 'v1.1.0' },
    runUrl: RUN,
  };
}

function report(overrides: Partial<RunReport>): RunReport {
  return {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.1.0',
    server: 'https://vault.example.com',
    namespace: '',
    serverIdentity: 'OpenBao 2.7.2 community, single node',
    login: 'token',
    artifact: null,
    plan: PLAN,
    planOrigin: origin(),
    savedPlan: null,
    readBack: true,
    record: emptyRecord(),
    targets: pendingOutcomes(PLAN),
    timings: [],
    error: null,
    dryRun: false,
    summary: true,
    rollbackWorkflow: null,
    rollback: null,
    ...overrides,
  };
}

/** The plan as the apply run reads it back from the plan run's output. */
function given(from: PlanOrigin = origin()): RunReport['savedPlan'] {
  return { plan: parseSavedPlan(JSON.stringify(recordPlan(PLAN, from, null))), check: null };
}

describe('the plan in the job summary', () => {
  it('shows the plan job what a reviewer approves, and what it was made from', () => {
    const text = renderSummary(report({ dryRun: true }));
    expect(text.split('\n')[0]).toBe('## 📝 Planned — nothing written: `acme` `v1.1.0`');
    expect(text).toContain(
      '### Plan to approve\n\n| Step | Action |\n| --- | --- |\n| plugin file | copy to `acme-v1.1.0` |\n| catalog | register `v1.1.0` |\n| `acme/` | tune `v1.0.0` → `v1.1.0`, reload |',
    );
    expect(text).toContain(
      'Made from:\n- the server: `OpenBao 2.7.2`, cluster `vault-cluster-b5060d4c` (id `4e6b755a-15f0-7580-eb17-44db026756c8`)\n',
    );
    expect(text).toContain('- the catalog: `v1.1.0` not registered\n- the pin: none\n');
  });

  it('shows the apply job the plan it applied, linked to the run that made it', () => {
    const applied = given();
    const text = renderSummary(
      report({ savedPlan: applied && { ...applied, check: 'as-planned' } }),
    );
    expect(text).toContain(
      `### Plan applied\n\nThe plan made by [this run](${RUN}), on cluster \`vault-cluster-b5060d4c\``,
    );
    expect(text).toContain(
      'the pin and 1 mount were read again and found as the plan recorded them.',
    );
    expect(text).toContain('| `acme/` | tune `v1.0.0` → `v1.1.0`, reload |');
  });

  it('says when the plan was already applied, or not applied at all', () => {
    const plan = given();
    const again = renderSummary(
      report({ savedPlan: plan && { ...plan, check: 'already-applied' } }),
    );
    expect(again).toContain('### Plan given');
    expect(again).toContain('The server was already where it leads, so nothing was written');
    const refused = renderSummary(
      report({
        savedPlan: plan,
        error: {
          stage: 'preflight',
          message: 'plan is stale: acme/ now runs v1.0.1, planned from v1.0.0',
        },
      }),
    );
    expect(refused).toContain(
      'It was not applied: the run stopped at the preflight stage, before any write, as the error above says.',
    );
    expect(refused).not.toContain('### Plan applied');
  });

  it('keeps what a server or a plan says inert', () => {
    const hostile = 'x` | <img src=x onerror=alert(1)> [y](https://evil.example)';
    for (const text of [
      renderSummary(report({ dryRun: true, planOrigin: origin(hostile) })),
      renderSummary(report({ savedPlan: given(origin(hostile)) })),
    ]) {
      expect(text).not.toContain('<img');
      expect(text).not.toContain('](https://evil.example)');
      expect(text).toContain('<code>x&#96; &#124; &#60;img');
    }
  });
});
