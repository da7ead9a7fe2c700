import { describe, expect, it } from 'vitest';
import { prunableVersions } from '../../../src/rollout/prune.ts';

// keep-versions keeps the newest versions by SemVer precedence.

const external = (...versions: string[]) =>
  versions.map((version) => ({ version, builtin: false }));

describe('keep-versions', () => {
  it('keeps the newest pre-releases as SemVer orders them', () => {
    expect(
      prunableVersions({
        versions: external(
          'v1.1.0-beta2',
          'v1.1.0-beta.10',
          'v1.1.0',
          'v1.1.0-beta10',
          'v1.1.0-beta.2',
          'v1.0.0',
        ),
        inUse: new Set(['v1.1.0']),
        keep: 2,
        protect: ['v1.1.0'],
      }),
    ).toEqual(['v1.0.0', 'v1.1.0-beta.2', 'v1.1.0-beta.10', 'v1.1.0-beta10']);
  });

  it('keeps alpha.10 over alpha.2 and never counts a builtin', () => {
    expect(
      prunableVersions({
        versions: [
          ...external('v2.0.0-alpha.10', 'v2.0.0-alpha.2', 'v2.0.0-alpha.9'),
          { version: 'v2.7.2+builtin.bao', builtin: true },
        ],
        inUse: new Set(),
        keep: 1,
        protect: [],
      }),
    ).toEqual(['v2.0.0-alpha.2', 'v2.0.0-alpha.9']);
  });
});
