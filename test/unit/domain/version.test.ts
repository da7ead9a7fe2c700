import { describe, expect, it } from 'vitest';
import { bareVersion, canonicalVersion, compareVersions } from '../../../src/domain/version.ts';

describe('canonicalVersion', () => {
  it.each([
    ['1', 'v1.0.0'],
    ['1.2', 'v1.2.0'],
    ['v1.2.3', 'v1.2.3'],
    [' 1.2.3 ', 'v1.2.3'],
    ['1.2.3-rc.1', 'v1.2.3-rc.1'],
    ['v0.14.0+ent', 'v0.14.0+ent'],
  ])('stores %s as %s, as the server does', (raw, canonical) => {
    expect(canonicalVersion(raw)).toBe(canonical);
  });

  it.each(['', 'v', 'one', '1.2.3.4', '01.2.3', 'v1.2.3-', 'v1.2.3-rc..1', '1.2.3+builtin.bao'])(
    'refuses %j',
    (raw) => {
      expect(() => canonicalVersion(raw)).toThrow(/^version: /);
    },
  );

  it('drops the v for asset names', () => {
    expect(bareVersion('v1.2.3')).toBe('1.2.3');
  });
});

describe('compareVersions', () => {
  const sorted = (versions: string[]): string[] => [...versions].sort(compareVersions);

  it('orders the precedence example of the SemVer specification', () => {
    const precedence = [
      'v1.0.0-alpha',
      'v1.0.0-alpha.1',
      'v1.0.0-alpha.beta',
      'v1.0.0-beta',
      'v1.0.0-beta.2',
      'v1.0.0-beta.11',
      'v1.0.0-rc.1',
      'v1.0.0',
      'v1.0.1',
      'v1.10.0',
      'v2.0.0',
    ];
    expect(sorted([...precedence].reverse())).toEqual(precedence);
  });

  it.each([
    ['v1.0.0-alpha.2', 'v1.0.0-alpha.10'],
    // Numeric identifiers sort below alphanumeric ones.
    ['v1.0.0-10', 'v1.0.0-9a'],
    // Alphanumeric identifiers compare in ASCII order, digits and case included.
    ['v1.0.0-beta10', 'v1.0.0-beta2'],
    ['v1.0.0-RC.1', 'v1.0.0-rc.1'],
    ['v1.0.0-a01b', 'v1.0.0-a1b'],
    // Fewer identifiers sort first when the shared ones are equal.
    ['v1.0.0-alpha.1', 'v1.0.0-alpha-1'],
    // Build metadata breaks a tie only.
    ['v1.0.0+a', 'v1.0.0+b'],
    ['v1.0.0-rc.1+zzz', 'v1.0.0'],
    // The server keeps a leading zero SemVer forbids; it still orders by number.
    ['v1.0.0-rc.01', 'v1.0.0-rc.2'],
  ])('puts %s before %s', (older, newer) => {
    expect(compareVersions(older, newer)).toBeLessThan(0);
    expect(compareVersions(newer, older)).toBeGreaterThan(0);
  });

  it('puts a version SemVer cannot read below every version it can', () => {
    expect(sorted(['v1.0.0', 'v1.2.3.4', 'v0.0.1-a', 'v1.2.3.10'])).toEqual([
      'v1.2.3.10',
      'v1.2.3.4',
      'v0.0.1-a',
      'v1.0.0',
    ]);
  });
});
