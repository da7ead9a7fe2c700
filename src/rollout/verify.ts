import { VerificationError } from '../domain/errors.ts';
import { isBuiltinVersion } from '../vault/catalog.ts';
import type { VaultClient } from '../vault/client.ts';
import type { TargetState } from '../vault/mounts.ts';
import { readTargets } from '../vault/targets.ts';
import type { TargetStep, Plan } from './plan.ts';
import { describeTarget } from '../domain/plugin.ts';

/** `unknown`: written to after it was last read, and the server could not be read again. */
export type TargetResult =
  'updated' | 'unchanged' | 'failed' | 'not-started' | 'rolled-back' | 'unknown';

/**
 * What proved a mount runs what it should, strongest first:
 * - `sha256`: its running_sha256 is the expected binary's hash — the server
 *   checks a plugin file against the catalog's hash before it starts it, and
 *   reports that hash;
 * - `builtin`: a builtin version runs and no hash is reported, as for every
 *   plugin the server serves from its own code;
 * - `running-version`: a database connection (Vault reports its running
 *   version, never a hash);
 * - `configured-version`: a database connection on a server that reports no
 *   running version (OpenBao): its configuration reads back the version, and
 *   the restart with it was accepted;
 * - `probe`: added when the `probe` path answered through the new process.
 */
export type Evidence = 'sha256' | 'builtin' | 'running-version' | 'configured-version' | 'probe';

export interface TargetOutcome {
  path: string;
  previous: string;
  target: string;
  version: string;
  runningVersion: string;
  runningSha256: string;
  result: TargetResult;
  problem: string;
  /** What proved the result; empty when nothing was proven. */
  evidence: Evidence[];
  /** What each listed node runs for this mount, read through that node's own address. */
  nodes: NodeView[];
}

export interface NodeView {
  node: string;
  runningVersion: string;
  runningSha256: string;
  /** '' when the node runs what it should. */
  problem: string;
}

/** What a mount must be configured for and run. */
export interface Expectation {
  configured: string;
  /** Differs from `configured` when a pin holds the plugin at another version. */
  running: string;
  /**
   * The hash it must report: a binary's hash, `''` for a builtin (the server
   * reports none), or `null` when the server reports no hash at all
   * (database connections).
   */
  sha256: string | null;
}

export function forward(plan: Plan): (step: TargetStep) => Expectation {
  const sha256 = plan.pluginType === 'database' ? null : plan.sha256;
  return () => ({ configured: plan.version, running: plan.version, sha256 });
}

/**
 * Going back means the version the mount was configured for, and running
 * what the pin held before (or that version). The hash is the one the mount
 * ran when the rollout read it if it ran that version then; otherwise the
 * catalog's entry for it, which `catalogHashes` holds.
 */
export function backward(
  plan: Plan,
  catalogHashes: ReadonlyMap<string, string>,
): (step: TargetStep) => Expectation {
  return (step) => {
    // A mount enabled without a version cannot be tuned back to none; the server
    // refuses an empty version. It goes back to the version it was running.
    const configured = step.from || step.runningVersion;
    const running = plan.pinned ?? configured;
    const sha256 =
      plan.pluginType === 'database'
        ? null
        : step.runningVersion === running
          ? step.runningSha256
          : isBuiltinVersion(running)
            ? ''
            : (catalogHashes.get(running) ?? null);
    return { configured, running, sha256 };
  };
}

/** The versions a rollback must learn the hash of from the catalog. */
export function versionsToLookUp(plan: Plan, steps: readonly TargetStep[]): string[] {
  const wanted = new Set<string>();
  if (plan.pluginType === 'database') return [];
  for (const step of steps) {
    const running = plan.pinned ?? (step.from || step.runningVersion);
    if (step.runningVersion !== running && !isBuiltinVersion(running)) wanted.add(running);
  }
  return [...wanted];
}

/**
 * The mismatch between a mount's live state and what it should run, or ''
 * when it matches. An empty running hash where a binary's hash is expected
 * is never taken for the binary: the server reports a hash for every plugin
 * it starts from the catalog, so an empty one means its own code serves the
 * mount (Vault 1.21.0 even reports the tuned version as running then).
 */
export function mismatch(
  type: Plan['pluginType'],
  path: string,
  now: TargetState | undefined,
  expected: Expectation,
): string {
  const where = describeTarget(type, path);
  if (!now) return `${where} disappeared during the rollout`;
  if (now.version !== expected.configured) {
    return `${where} is configured for ${now.version || '(unversioned)'}, not ${expected.configured || '(unversioned)'}`;
  }
  const want = `${expected.running || '(unversioned)'}${expected.sha256 ? ` sha256 ${expected.sha256}` : ''}`;
  const runsVersion = expected.running === '' || now.runningVersion === expected.running;
  if (runsVersion && expected.sha256 && now.runningSha256 === '') {
    return `${where} reports ${now.runningVersion} but an empty running_sha256, so the registered build ${expected.sha256} does not serve it (the server reports the hash of every plugin it starts from the catalog; none means its own builtin code answers, or nothing started)`;
  }
  if (!runsVersion || (expected.sha256 !== null && now.runningSha256 !== expected.sha256)) {
    return `${where} runs ${now.runningVersion || '(unknown)'} sha256 ${now.runningSha256 || '(none)'}, not ${want}`;
  }
  return '';
}

/** What proved a matching mount (see `Evidence`); call only when `mismatch` found nothing. */
export function evidenceOf(now: TargetState, expected: Expectation): Evidence[] {
  if (expected.sha256 === null) {
    return [now.runningReported === false ? 'configured-version' : 'running-version'];
  }
  return [expected.sha256 ? 'sha256' : 'builtin'];
}

/** Compares what each mount runs now with the plan; pure, so the verdict is unit-tested. */
export function assessTargets(
  plan: Plan,
  table: ReadonlyMap<string, TargetState>,
): TargetOutcome[] {
  const expect = forward(plan);
  return plan.targets.map((step) => {
    const now = table.get(step.path);
    const problem = mismatch(plan.pluginType, step.path, now, expect(step));
    const result: TargetResult = problem
      ? 'failed'
      : step.action === 'none'
        ? 'unchanged'
        : 'updated';
    return outcome(
      step,
      now,
      result,
      problem,
      now && !problem ? evidenceOf(now, expect(step)) : [],
    );
  });
}

export function outcome(
  step: TargetStep,
  now: TargetState | undefined,
  result: TargetResult,
  problem: string,
  evidence: Evidence[] = [],
): TargetOutcome {
  return {
    path: step.path,
    previous: step.from,
    target: step.to,
    version: now?.version ?? '',
    runningVersion: now?.runningVersion ?? '',
    runningSha256: now?.runningSha256 ?? '',
    result,
    problem,
    evidence,
    nodes: [],
  };
}

/** Outcomes before anything ran, for a report that stops early. */
export function pendingOutcomes(plan: Plan): TargetOutcome[] {
  return plan.targets.map((step) =>
    outcome(
      step,
      {
        path: step.path,
        plugin: plan.pluginName,
        version: step.from,
        runningVersion: step.runningVersion,
        runningSha256: step.runningSha256,
      },
      step.action === 'none' ? 'unchanged' : 'not-started',
      '',
    ),
  );
}

export interface WaitDeps {
  client: VaultClient;
  plan: Plan;
  timeoutSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * A reload may finish after its call returns (Vault answers 202), so the
 * check is repeated with growing pauses until it holds or time runs out.
 * Returns the last mount table read.
 */
export async function waitForTargets(
  deps: WaitDeps,
  paths: readonly string[],
  expect: (step: TargetStep) => Expectation,
  what: string,
): Promise<Map<string, TargetState>> {
  const deadline = deps.now() + deps.timeoutSeconds * 1000;
  const steps = deps.plan.targets.filter((m) => paths.includes(m.path));
  let pause = 250;
  for (;;) {
    const table = await readTargets(deps.client, deps.plan.pluginType, paths);
    const problems = steps
      .map((step) => mismatch(deps.plan.pluginType, step.path, table.get(step.path), expect(step)))
      .filter(Boolean);
    if (problems.length === 0) return table;
    if (deps.now() + pause > deadline) {
      throw new VerificationError(
        `${what} failed after ${deps.timeoutSeconds}s: ${problems.join('; ')}`,
      );
    }
    await deps.sleep(pause);
    pause = Math.min(pause * 2, 4000);
  }
}
