import { describe, expect, it } from 'vitest';
import { bareVersion, canonicalVersion } from '../../src/version.ts';

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

  it.each(['', 'v', 'one', '1.2.3.4', '01.2.3', 'v1.2.3-', '1.2.3+builtin.bao'])(
    'refuses %j',
    (raw) => {
      expect(() => canonicalVersion(raw)).toThrow(/^version: /);
    },
  );

  it('drops the v for asset names', () => {
    expect(bareVersion('v1.2.3')).toBe('1.2.3');
  });
});
