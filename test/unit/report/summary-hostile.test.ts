import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Marked, type Tokens } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactFacts } from '../../../src/artifact/facts.ts';
import { code, escapeText, fence, link } from '../../../src/report/markdown.ts';
import type { RunReport } from '../../../src/rollout/run-report.ts';
import { outputsOf } from '../../../src/report/outputs.ts';
import { hclString, shellWord } from '../../../src/report/quote.ts';
import { renderSummary } from '../../../src/report/summary.ts';
import { emptyRecord } from '../../../src/rollout/apply.ts';
import type { Plan } from '../../../src/rollout/plan.ts';
import type { TargetOutcome } from '../../../src/rollout/verify.ts';
import { shellCalls } from '../../../lab/shell.ts';

const SHA = 'c'.repeat(64);
const PATH = 'team/<img src=x onerror=alert(1)>|<a href="https://evil.test">x</a>|`\n| x |';
// No backtick, no newline: only the `|` and the markup can do harm here.
const PIPED = 'team-b|<img src=x onerror=alert(3)>|b';
const PREVIOUS = "v1.0.0$(touch pwned)`touch pwned`'\n```\n<img src=y>";
const COMMAND = 'acme\'; touch pwned; echo "$(touch pwned)${x}%{y}\n```';
const SERVER_TEXT =
  'see https://evil.test/login, www.evil.test or ops@evil.test | <b>now</b>\n# heading';

const html = (markdown: string): string =>
  new Marked({ gfm: true }).parse(markdown, { async: false });

function codeBlocks(markdown: string): Tokens.Code[] {
  return new Marked({ gfm: true })
    .lexer(markdown)
    .filter((t): t is Tokens.Code => t.type === 'code');
}

function tableRows(rendered: string): string[][] {
  const table = /<table>([\s\S]*?)<\/table>/.exec(rendered)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1] ?? ''),
  );
}

/** What a browser shows for a cell: tags dropped, entities decoded. */
function textOf(cell: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  return cell
    .replace(/<[^>]+>/g, '')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&(lt|gt|amp|quot);/g, (_, n: string) => named[n] ?? '');
}

const PLAN: Plan = {
  pluginType: 'secret',
  pluginName: 'acme',
  version: 'v1.0.1',
  sha256: SHA,
  command: COMMAND,
  pluginFile: 'unmanaged',
  catalog: 'present',
  targets: [
    {
      path: PATH,
      from: PREVIOUS,
      to: 'v1.0.1',
      runningVersion: PREVIOUS,
      runningSha256: 'a'.repeat(64),
      action: 'tune',
    },
    {
      path: PIPED,
      from: 'v1.0.0',
      to: 'v1.0.1',
      runningVersion: 'v1.0.0',
      runningSha256: 'a'.repeat(64),
      action: 'tune',
    },
  ],
  discovered: [PATH, PIPED],
  batches: [[PATH, PIPED]],
  canary: false,
  pin: null,
  pinned: null,
  prune: [],
  pinnedElsewhere: [],
  everyTarget: null,
  catalogEntry: null,
  server: { pins: false, pluginReload: false, connectionReload: false },
  changes: true,
};

const MOUNT: TargetOutcome = {
  path: PATH,
  previous: PREVIOUS,
  target: 'v1.0.1',
  version: 'v1.0.1',
  runningVersion: 'v1.0.1',
  runningSha256: SHA,
  result: 'updated',
  evidence: ['sha256'],
  problem: '',
  nodes: [],
};

const ARTIFACT: ArtifactFacts = {
  origin: {
    kind: 'url',
    url: 'https://lab-user:s3cret-pass@downloads.example.test/acme.zip?X-Amz-Signature=sig0123&token=tok0123#frag',
  },
  asset: 'acme.zip',
  format: 'zip',
  assetSha256: 'b'.repeat(64),
  binaryName: 'acme',
  binaryPath: '/tmp/acme',
  sha256: SHA,
  checksums: null,
  signature: null,
  attestation: null,
  pinned: true,
  cached: false,
  verified: true,
};

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.0.1',
    server: 'https://vault.example.com',
    namespace: '',
    serverIdentity: SERVER_TEXT,
    login: 'token',
    artifact: ARTIFACT,
    plan: PLAN,
    planOrigin: null,
    savedPlan: null,
    record: {
      ...emptyRecord(),
      tuned: [PATH, PIPED],
      reloaded: [PATH, PIPED],
      reloadIds: [SERVER_TEXT],
    },
    targets: [MOUNT, { ...MOUNT, path: PIPED, previous: 'v1.0.0' }],
    readBack: true,
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

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'summary-hostile-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the summary of a run whose server sent hostile strings', () => {
  const summary = renderSummary(report());
  const rendered = html(summary);

  it('keeps every mount in its own row with its own cells', () => {
    const rows = tableRows(rendered);
    expect(rows).toHaveLength(3);
    // Mount, Before, Target, Running now, Running SHA-256, Proven by, Result.
    for (const row of rows) expect(row).toHaveLength(7);
    // A person reads the path exactly as the server sent it, its line breaks marked.
    expect(textOf(rows[1]?.[0] ?? '')).toBe(`${PATH.replace(/\n/g, '␊')}/`);
    expect(textOf(rows[1]?.[1] ?? '')).toBe(PREVIOUS.replace(/\n/g, '␊'));
    expect(textOf(rows[2]?.[0] ?? '')).toBe(`${PIPED}/`);
  });

  it('lets no server markup, link or heading through', () => {
    expect(rendered).not.toMatch(/<img|<a href="https:\/\/evil|<b>|<h1/);
    expect(rendered).not.toMatch(/href="(https?:\/\/(www\.)?|mailto:)[^"]*evil/);
  });

  it('shows line breaks of server text as visible marks, inline', () => {
    expect(code('a\nb')).toBe('<code>a␊b</code>');
    expect(escapeText('a\r\nb')).toBe('a␍␊b');
  });

  it('quotes every server value in the rollback command, so pasting it runs nothing else', async () => {
    const [rollback, register] = codeBlocks(summary).filter((b) => b.lang === 'sh');
    const gh = (version: string, mounts: string) => [
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
    expect(await shellCalls(rollback?.text ?? '', ['gh'], work)).toEqual([
      gh(PREVIOUS, PATH),
      gh('v1.0.0', PIPED),
    ]);
    const registration = [
      'vault',
      'plugin',
      'register',
      `-sha256=${SHA}`,
      `-command=${COMMAND}`,
      '-version=v1.0.1',
      'secret',
      'acme',
    ];
    expect(await shellCalls(register?.text ?? '', ['vault'], work)).toEqual([registration]);
    expect(
      await shellCalls(outputsOf([report()])['register-command'] ?? '', ['vault'], work),
    ).toEqual([registration]);
    expect(existsSync(join(work, 'pwned'))).toBe(false);
  });

  it('writes the OpenBao plugin block with every value an HCL string that interpolates nothing', () => {
    const hcl = codeBlocks(summary).find((b) => b.lang === 'hcl');
    expect(hcl?.text).toBe(
      [
        'plugin "secret" "acme" {',
        '  command     = "acme\'; touch pwned; echo \\"$(touch pwned)$${x}%%{y}\\n```"',
        '  version     = "v1.0.1"',
        '  binary_name = "acme\'; touch pwned; echo \\"$(touch pwned)$${x}%%{y}\\n```"',
        `  sha256sum   = "${SHA}"`,
        '}',
      ].join('\n'),
    );
  });

  it('keeps code blocks closed against a fence inside them', () => {
    const blocks = codeBlocks(summary);
    expect(blocks.map((b) => b.lang)).toEqual(['sh', 'mermaid', 'sh', 'hcl']);
    expect(codeBlocks(fence('sh', 'a\n```\n<img src=x>\n````'))).toEqual([
      expect.objectContaining({ lang: 'sh', text: 'a\n```\n<img src=x>\n````' }),
    ]);
  });
});

describe('links from release metadata', () => {
  it('links only to http(s), and cannot be broken out of', () => {
    expect(link('x', 'javascript:alert(1)')).toBe('x');
    const broken = link('rel', 'https://github.test/a) <img src=x> (b');
    expect(html(broken)).not.toContain('<img');
    expect(html(broken)).toMatch(/^<p><a href="https:\/\/github\.test\/a%29%20%3Cimg/);
  });
});

describe('credentials in an artifact URL', () => {
  const secrets = ['lab-user', 's3cret-pass', 'sig0123', 'tok0123', 'frag'];

  it('stay out of the summary and the outputs', () => {
    const summary = renderSummary(report());
    const outputs = JSON.stringify(outputsOf([report()]));
    for (const secret of secrets) {
      expect(summary).not.toContain(secret);
      expect(outputs).not.toContain(secret);
    }
    expect(summary).toContain('Downloaded from `https://***@downloads.example.test/acme.zip?…`');
    expect(JSON.parse(outputsOf([report()]).provenance ?? '{}')).toMatchObject({
      url: 'https://***@downloads.example.test/acme.zip?…',
    });
  });

  it('stay out of an error message shown in the summary', () => {
    const summary = renderSummary(
      report({
        error: {
          stage: 'artifact',
          message: `download of https://u:s3cret-pass@h.test/a?token=tok0123 failed`,
        },
      }),
    );
    for (const secret of secrets) expect(summary).not.toContain(secret);
  });
});

describe('shellWord', () => {
  it('gives back any string as one word, whatever it holds', async () => {
    const values = fc.sample(fc.string({ unit: 'binary', maxLength: 24 }), 300).map((v) =>
      // A shell argument cannot hold NUL.
      v.replace(/\0/g, ''),
    );
    const words = values.map(shellWord).join(' ');
    const [call] = await shellCalls(`printer ${words}`, ['printer'], work);
    expect(call?.slice(1)).toEqual(values);
    expect(existsSync(join(work, 'pwned'))).toBe(false);
  });

  it('leaves plain words bare', () => {
    expect(shellWord('version=v1.0.1')).toBe('version=v1.0.1');
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });
});

describe('hclString', () => {
  it('escapes quotes, backslashes, control characters and template sequences', () => {
    expect(hclString('a"b\\c\td\u0001${x}%{y}$x')).toBe('"a\\"b\\\\c\\td\\u0001$${x}%%{y}$x"');
  });
});
