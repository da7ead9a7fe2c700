import { describe, expect, it } from 'vitest';
import { outputsOf } from '../../src/report/outputs.ts';
import type { RunReport } from '../../src/report/model.ts';
import { renderSummary } from '../../src/report/summary.ts';
import { emptyRecord } from '../../src/rollout/apply.ts';

const SHA = 'c'.repeat(64);

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
    record: emptyRecord(),
    mounts: [],
    timings: [],
    error: null,
    dryRun: false,
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

  it('escapes text that came from users or servers', () => {
    const text = renderSummary(
      report({
        mounts: [
          {
            path: 'a|b',
            previous: 'v1',
            target: 'v2',
            version: 'v2',
            runningVersion: 'v1',
            runningSha256: SHA,
            result: 'failed',
            problem: '<img src=x onerror=alert(1)> | broken',
            nodes: [],
          },
        ],
      }),
    );
    expect(text).not.toContain('<img');
    expect(text).toContain('&#60;img src=x onerror=alert&#40;1&#41;&#62; &#124; broken');
  });
});

describe('outputsOf', () => {
  it('reports changed=false and an empty reload id when nothing was written', () => {
    expect(outputsOf(report())).toEqual({
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
