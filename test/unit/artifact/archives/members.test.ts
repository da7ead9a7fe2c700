import { describe, expect, it } from 'vitest';
import { pickBinary } from '../../../../src/artifact/archives/members.ts';

const file = (path: string, executable = false) => ({ path, executable });

describe('pickBinary', () => {
  it('takes the file named after the plugin', () => {
    expect(
      pickBinary([file('LICENSE'), file('bin/acme'), file('tool', true)], 'acme', '').path,
    ).toBe('bin/acme');
  });

  it('takes the only executable', () => {
    expect(
      pickBinary([file('README.md'), file('vault-plugin-acme_v1.0.0', true)], 'acme', '').path,
    ).toBe('vault-plugin-acme_v1.0.0');
  });

  it('takes the only file that is not documentation', () => {
    expect(
      pickBinary([file('LICENSE.txt'), file('CHANGELOG.md'), file('acme-plugin')], 'acme', '').path,
    ).toBe('acme-plugin');
  });

  it('honours the binary input by path or name', () => {
    expect(pickBinary([file('a', true), file('dir/b', true)], 'acme', 'b').path).toBe('dir/b');
  });

  it('lists the candidates when it cannot choose', () => {
    expect(() =>
      pickBinary([file('one', true), file('two', true), file('LICENSE')], 'acme', ''),
    ).toThrow(
      'the archive holds several candidate binaries (one, two); name one with the binary input',
    );
  });

  it('says what the archive holds when the named binary is absent', () => {
    expect(() => pickBinary([file('one', true)], 'acme', 'acme')).toThrow(
      'binary: "acme" is not in the archive; it holds one',
    );
  });
});
