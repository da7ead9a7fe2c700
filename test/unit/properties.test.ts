import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChecksums } from '../../src/artifact/trust/checksums.ts';
import { expandTemplate } from '../../src/inputs/release.ts';
import { ConfigError } from '../../src/domain/errors.ts';
import { booleanInput, isSafePath, wholeNumber } from '../../src/inputs/parse.ts';
import { pathList } from '../../src/inputs/targets.ts';
import { targetDrift } from '../../src/rollout/drift.ts';
import { planRollout, type Plan, type PlanInput } from '../../src/rollout/plan.ts';
import { canonicalVersion } from '../../src/domain/version.ts';
import type { TargetState } from '../../src/vault/mounts.ts';

const nat = fc.nat({ max: 10_000 });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/);
const mountPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));

/** A thrown input error must be one ConfigError line naming the input. */
function oneLineError(input: string, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(`${input}: `)).toBe(true);
    expect(message).not.toMatch(/\n/);
  }
}

describe('version canonicalisation', () => {
  it('spells every MAJOR[.MINOR[.PATCH]] as vX.Y.Z, with or without v', () => {
    fc.assert(
      fc.property(nat, fc.option(nat), fc.option(nat), fc.boolean(), (major, minor, patch, v) => {
        const parts = [
          major,
          ...(minor === null ? [] : [minor]),
          ...(minor === null || patch === null ? [] : [patch]),
        ];
        const canonical = canonicalVersion(`${v ? 'v' : ''}${parts.join('.')}`);
        expect(canonical).toBe(`v${major}.${minor ?? 0}.${minor === null ? 0 : (patch ?? 0)}`);
      }),
    );
  });

  it('is idempotent, and anything else is one line naming the input', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        let canonical = '';
        oneLineError('version', () => (canonical = canonicalVersion(raw)));
        if (canonical) {
          expect(canonical).toMatch(/^v\d+\.\d+\.\d+/);
          expect(canonicalVersion(canonical)).toBe(canonical);
        }
      }),
    );
  });
});

describe('checksums files', () => {
  const entry = fc.record({ sha256: hex64, name: fc.stringMatching(/^[A-Za-z0-9._+-]{1,20}$/) });

  it('read back every entry whatever the layout: GNU text or binary mode, BSD, upper case, directories', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(entry, fc.constantFrom('gnu', 'binary', 'bsd', 'dir'), fc.boolean())),
        (lines) => {
          const text = lines
            .map(([e, style, upper]) => {
              const hash = upper ? e.sha256.toUpperCase() : e.sha256;
              if (style === 'bsd') return `SHA256 (${e.name}) = ${hash}`;
              if (style === 'binary') return `${hash} *${e.name}`;
              if (style === 'dir') return `${hash}  ./dist/${e.name}`;
              return `${hash}  ${e.name}`;
            })
            .join('\n');
          expect(parseChecksums(`# sums\n${text}\n`, null)).toEqual(lines.map(([e]) => e));
        },
      ),
    );
  });

  it('never throws on arbitrary text and yields only lower-case hashes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.option(fc.string()), (text, implied) => {
        for (const e of parseChecksums(text, implied)) expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 30 },
    );
  });
});

describe('asset templates', () => {
  const literal = fc.stringMatching(/^[A-Za-z0-9._-]{0,6}$/);
  const placeholder = fc.constantFrom('version', 'os', 'arch');
  const platform = { os: 'linux', arch: 'arm64' } as const;

  it('replace exactly the placeholders and keep the rest', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(literal, placeholder)), literal, (pieces, tail) => {
        const template = pieces.map(([l, p]) => `${l}{${p}}`).join('') + tail;
        const values = { version: 'v1.2.3', os: 'linux', arch: 'arm64' };
        const expected =
          pieces.map(([l, p]) => l + (p === 'version' ? '1.2.3' : values[p])).join('') + tail;
        expect(expandTemplate(template, { version: 'v1.2.3', platform })).toBe(expected);
      }),
    );
  });

  it('refuse any other placeholder, naming the input', () => {
    fc.assert(
      fc.property(literal, fc.stringMatching(/^[a-z_]{1,8}$/), (l, name) => {
        fc.pre(!['version', 'os', 'arch'].includes(name));
        expect(() =>
          expandTemplate(`${l}{${name}}`, { version: 'v1.0.0', platform }, 'checksums'),
        ).toThrow(`checksums: unknown placeholder {${name}}`);
      }),
    );
  });
});

describe('list, boolean and number inputs', () => {
  it('read back any list of distinct mount paths, with comments, blanks and slashes around', () => {
    fc.assert(
      fc.property(fc.uniqueArray(mountPath, { maxLength: 6 }), (paths) => {
        const raw = paths.map((p, i) => (i % 2 ? `/${p}/  # note` : `  ${p}\n`)).join('\n');
        expect(pathList('mounts', `# list\n${raw}`, 'secret', false)).toEqual(paths);
      }),
    );
  });

  it('return only safe paths or refuse with one line', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        let paths: string[] = [];
        oneLineError('mounts', () => (paths = pathList('mounts', raw, 'auth', true)));
        for (const p of paths) expect(isSafePath(p)).toBe(true);
      }),
    );
  });

  it('take booleans and whole numbers or refuse with one line', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        oneLineError('dry-run', () => booleanInput('dry-run', raw, false));
        oneLineError('batch-size', () => {
          const n = wholeNumber('batch-size', raw, 0, 10_000);
          expect(Number.isInteger(n) && n >= 0 && n <= 10_000).toBe(true);
        });
      }),
    );
  });
});

describe('plans', () => {
  const NEW = { version: 'v2.0.0', sha256: 'b'.repeat(64) };
  const mountState = fc.record({
    plugin: fc.constantFrom('acme', 'acme', 'other'),
    version: fc.constantFrom('v1.0.0', 'v1.1.0', NEW.version),
    running: fc.constantFrom('old', 'new'),
  });
  const world = fc
    .uniqueArray(fc.tuple(mountPath, mountState), {
      minLength: 1,
      maxLength: 8,
      selector: ([p]) => p,
    })
    .chain((mounts) =>
      fc.record({
        mounts: fc.constant(mounts),
        listed: fc.subarray(mounts.filter(([, m]) => m.plugin === 'acme').map(([p]) => p)),
        all: fc.boolean(),
        batchSize: fc.nat({ max: 4 }),
        canaryCount: fc.nat({ max: 2 }),
      }),
    );

  function table(
    mounts: readonly [string, { plugin: string; version: string; running: string }][],
  ) {
    return new Map<string, TargetState>(
      mounts.map(([path, m]) => [
        path,
        {
          path,
          plugin: m.plugin,
          version: m.version,
          runningVersion: m.running === 'new' ? m.version : 'v0.9.0',
          runningSha256:
            m.running === 'new' && m.version === NEW.version ? NEW.sha256 : 'a'.repeat(64),
        },
      ]),
    );
  }

  function input(
    mountTable: Map<string, TargetState>,
    w: { listed: string[]; all: boolean; batchSize: number; canaryCount: number },
  ): PlanInput {
    const selected = w.all
      ? [...mountTable.values()].filter((m) => m.plugin === 'acme').map((m) => m.path)
      : w.listed;
    return {
      pluginType: 'secret',
      pluginName: 'acme',
      version: NEW.version,
      sha256: NEW.sha256,
      command: 'acme-v2.0.0',
      targets: w.all ? 'all' : w.listed,
      exclude: [],
      canary: selected.slice(0, w.canaryCount),
      batchSize: w.batchSize,
      catalogEntry: null,
      mountTable,
      pluginFile: null,
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
      allTargets: mountTable,
    };
  }

  /** What the server holds once every batch of the plan was tuned and reloaded. */
  function applied(plan: Plan, before: Map<string, TargetState>): Map<string, TargetState> {
    const after = new Map(before);
    for (const path of plan.batches.flat()) {
      after.set(path, {
        path,
        plugin: 'acme',
        version: plan.version,
        runningVersion: plan.version,
        runningSha256: plan.sha256,
      });
    }
    return after;
  }

  it('never move a mount that was not listed, and move each listed one at most once, canary first', () => {
    fc.assert(
      fc.property(world, (w) => {
        fc.pre(w.all ? w.mounts.some(([, m]) => m.plugin === 'acme') : w.listed.length > 0);
        const mountTable = table(w.mounts);
        const plan = planRollout(input(mountTable, w));
        const listed = w.all
          ? [...mountTable.values()].filter((m) => m.plugin === 'acme').map((m) => m.path)
          : w.listed;
        const moved = plan.batches.flat();
        for (const path of moved) expect(listed).toContain(path);
        expect(new Set(moved).size).toBe(moved.length);
        expect(plan.targets.map((m) => m.path).sort()).toEqual([...listed].sort());
        expect(moved.sort()).toEqual(
          plan.targets
            .filter((m) => m.action !== 'none')
            .map((m) => m.path)
            .sort(),
        );
        if (plan.canary)
          for (const path of plan.batches[0] ?? [])
            expect(input(mountTable, w).canary).toContain(path);
      }),
    );
  });

  it('applying a plan twice equals applying it once', () => {
    fc.assert(
      fc.property(world, (w) => {
        fc.pre(w.all ? w.mounts.some(([, m]) => m.plugin === 'acme') : w.listed.length > 0);
        const before = table(w.mounts);
        const once = applied(planRollout(input(before, w)), before);
        const second = planRollout({
          ...input(once, w),
          catalogEntry: {
            name: 'acme',
            version: NEW.version,
            sha256: NEW.sha256,
            command: 'acme-v2.0.0',
            builtin: false,
          },
        });
        expect(second.batches).toEqual([]);
        expect(second.changes).toBe(false);
        expect(applied(second, once)).toEqual(once);
      }),
    );
  });

  it('see drift exactly when a mount of the batch is no longer where the plan found it', () => {
    fc.assert(
      fc.property(world, fc.nat(), (w, pick) => {
        fc.pre(w.listed.length > 0);
        const before = table(w.mounts);
        const plan = planRollout(input(before, { ...w, all: false }));
        expect(targetDrift(plan, w.listed, before)).toEqual([]);
        const moved = w.listed[pick % w.listed.length] ?? '';
        const now = new Map(before);
        const m = before.get(moved);
        if (m) now.set(moved, { ...m, version: 'v9.9.9' });
        expect(targetDrift(plan, w.listed, now)).toHaveLength(1);
        expect(
          targetDrift(
            plan,
            w.listed.filter((p) => p !== moved),
            now,
          ),
        ).toEqual([]);
      }),
    );
  });
});
