// Judges a server's state after a rollout against what the run reported.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabServer } from './server.ts';
import { resultRows, type RunResult } from './runner.ts';
import { catalogEntry, liveMount, type CatalogType, type LiveMount } from './seed.ts';

/** A rollout of one plugin from `from` to `to` over a set of mounts, and the facts needed to judge its end state. */
export interface Scenario {
  type: 'secret' | 'auth';
  name: string;
  mounts: string[];
  from: { version: string; sha256: string; command: string };
  to: { version: string; sha256: string; command: string };
}

/** Any server the lab can reach as root: a dev server, or one that restarts. */
export type ScenarioServer = Pick<LabServer, 'api' | 'pluginDir'>;

function table(type: CatalogType): string {
  return type === 'auth' ? 'sys/auth' : 'sys/mounts';
}

/** Puts every mount back on `from`, running it, and removes `to` from the catalog and the plugin directory. */
export async function resetScenario(server: ScenarioServer, s: Scenario): Promise<void> {
  for (const path of s.mounts) {
    await server.api('POST', `${table(s.type)}/${path}/tune`, { plugin_version: s.from.version });
  }
  await server.api('PUT', 'sys/plugins/reload/backend', {
    mounts: s.mounts.map((m) => (s.type === 'auth' ? `auth/${m}` : m)),
  });
  if (await catalogEntry(server, s.type, s.name, s.to.version)) {
    await server.api('DELETE', `sys/plugins/catalog/${s.type}/${s.name}?version=${s.to.version}`);
  }
  await rm(join(server.pluginDir, s.to.command), { force: true });
  for (const path of s.mounts) {
    const live = await liveMount(server, s.type, path);
    if (live.runningSha256 !== s.from.sha256) {
      throw new Error(`lab reset: ${path} runs ${live.runningSha256}, not ${s.from.sha256}`);
    }
  }
}

/**
 * Everything wrong with the server's state after a run, judged against the
 * run's exit status, outputs and summary; empty when the run left every mount
 * wholly on the new version (exit 0) or wholly back on the previous one (exit 1)
 * and said so truthfully.
 */
export async function stateProblems(
  server: ScenarioServer,
  s: Scenario,
  run: RunResult,
): Promise<string[]> {
  const problems: string[] = [];
  if (run.exitCode !== 0 && run.exitCode !== 1) problems.push(`exit ${run.exitCode}`);
  const side = run.exitCode === 0 ? s.to : s.from;
  const live = new Map<string, LiveMount>();
  for (const path of s.mounts) live.set(path, await liveMount(server, s.type, path));
  for (const [path, now] of live) {
    if (
      now.version !== side.version ||
      now.runningVersion !== side.version ||
      now.runningSha256 !== side.sha256
    ) {
      problems.push(
        `${path}: exit ${run.exitCode} but configured ${now.version}, running ${now.runningVersion} ${now.runningSha256.slice(0, 12)}`,
      );
    }
  }
  const before = await catalogEntry(server, s.type, s.name, s.from.version);
  if (before?.sha256 !== s.from.sha256 || before.command !== s.from.command) {
    problems.push(`catalog ${s.from.version} changed: ${JSON.stringify(before)}`);
  }
  const after = await catalogEntry(server, s.type, s.name, s.to.version);
  if (after && (after.sha256 !== s.to.sha256 || after.command !== s.to.command)) {
    problems.push(`catalog ${s.to.version} holds ${JSON.stringify(after)}`);
  }
  if (run.exitCode === 0 && !after) problems.push(`exit 0 but ${s.to.version} is not registered`);
  const rows = resultRows(run);
  // A run that stopped before its plan read no mount, and shows none.
  const planned = run.outputs.plan !== '';
  for (const path of s.mounts) {
    const row = rows.find((r) => r.mount === path);
    const now = live.get(path);
    if (!planned) continue;
    // A rerun finds the mounts a failed run left on the new version already there.
    const allowed =
      run.exitCode === 0
        ? row?.previous === s.to.version
          ? ['unchanged', 'updated']
          : ['updated']
        : ['rolled-back', 'not-started'];
    if (
      !row ||
      !now ||
      row.version !== now.version ||
      row.running_version !== now.runningVersion ||
      row.running_sha256 !== now.runningSha256 ||
      !allowed.includes(row.result)
    ) {
      problems.push(`result output for ${path} disagrees with the server: ${JSON.stringify(row)}`);
    }
    const shown = `| \`${s.type === 'auth' ? `auth/${path}` : `${path}/`}\` |`;
    const summaryRow = run.summary.split('\n').find((line) => line.startsWith(shown)) ?? '';
    if (now && !summaryRow.includes(`\`${now.runningSha256.slice(0, 12)}\``)) {
      problems.push(`summary row for ${path} disagrees with the server: ${summaryRow}`);
    }
  }
  const rolledBack = run.outputs['rolled-back'] === 'true';
  const alreadyThere = rows.length > 0 && rows.every((r) => r.result === 'unchanged');
  const headline =
    run.exitCode === 0
      ? alreadyThere
        ? '## ➖ Unchanged'
        : '## ✅ Rolled out'
      : rolledBack
        ? '## ↩️ Rolled back'
        : '## ❌ Failed';
  if (!run.summary.startsWith(headline)) {
    problems.push(`summary headline is not ${headline}: ${run.summary.split('\n')[0] ?? ''}`);
  }
  // Writes to the catalog alone change nothing that runs; the mount checks above hold either way.
  const nothingToUndo = run.summary.includes('Nothing to roll back: no mount was tuned.');
  if (
    run.exitCode === 1 &&
    !rolledBack &&
    !nothingToUndo &&
    !run.summary.includes('Nothing was written')
  ) {
    problems.push('failed without a rollback, yet the summary does not say nothing was written');
  }
  if (
    run.exitCode === 1 &&
    !(nothingToUndo && !rolledBack) &&
    rolledBack !== (run.outputs.changed === 'true')
  ) {
    problems.push(
      `rolled-back ${String(rolledBack)} but changed ${run.outputs.changed ?? ''}: a failure after a write must roll back`,
    );
  }
  return problems;
}
