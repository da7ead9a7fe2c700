import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inertLine } from '../../../src/report/log.ts';
import { workflowCommands } from '../../../lab/workflow-commands.ts';

/** Text built from the pieces workflow commands are made of, so the search hits them often. */
const commandish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '::',
        '##[',
        ']',
        'set-output name=sha256',
        'add-mask',
        'stop-commands',
        'error title=x',
        '\n',
        '\r',
        '\r\n',
        ' ',
        '\t',
        '\u0085',
        '\u00a0',
        '\u2028',
        '%0A',
        '%',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('a log line made from server text', () => {
  it('can start no workflow command, however the text is made', () => {
    fc.assert(
      fc.property(commandish, fc.constantFrom('', 'server: ', '  '), (text, prefix) => {
        const line = inertLine(`${prefix}${text}`);
        expect(workflowCommands(line)).toEqual([]);
        expect(line).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('shows line breaks as \\n and \\r and leaves % as it is', () => {
    expect(inertLine('2.7.2\n::set-output name=sha256::0000\r100%')).toBe(
      '2.7.2\\n::set-output name=sha256::0000\\r100%',
    );
  });

  it('defuses a command at the start of the line and the older ##[ form anywhere', () => {
    expect(inertLine('::add-mask::x')).toBe('\\x3a:add-mask::x');
    expect(inertLine('\u00a0 ::error::x')).toBe('\u00a0 \\x3a:error::x');
    expect(inertLine('found a ##[set-output name=x]y')).toBe('found a ##\\x5bset-output name=x]y');
  });

  it('leaves ordinary lines as they are', () => {
    const line = 'reloaded acme, team-a/acme (scope global, reload id 4814b6ed-65c5) → v1.0.1';
    expect(inertLine(line)).toBe(line);
  });

  it('shows URLs without credentials or query', () => {
    expect(
      inertLine('downloading https://lab-user:s3cret@127.0.0.1:8080/f.zip?X-Amz-Signature=abc'),
    ).toBe('downloading https://***@127.0.0.1:8080/f.zip?…');
  });
});
