// The plan in the job summary: what a reviewer approves after a dry run, and
// which plan an apply run was given and what checking it found.
import type { Plan } from '../rollout/plan.ts';
import type { RunReport } from '../rollout/run-report.ts';
import type { SavedPlan, SavedServer } from '../rollout/saved-plan-shape.ts';
import { code, link } from './markdown.ts';
import { planTable } from './plan-table.ts';

export function planSection(report: RunReport): string {
  if (report.savedPlan) return givenPlan(report, report.savedPlan);
  if (report.dryRun && report.plan && report.planOrigin) {
    return [
      '### Plan to approve',
      planTable(report.plan),
      madeFrom(report.plan, report.planOrigin.server),
      'To apply exactly this plan, give the `plan` output to the `plan` input of a run with the same inputs. Before its first write that run reads all of the above again, and it refuses, writing nothing, when any of it changed.',
    ].join('\n\n');
  }
  return '';
}

function givenPlan(report: RunReport, given: NonNullable<RunReport['savedPlan']>): string {
  const saved = given.plan;
  const source = saved.made_by
    ? `The plan made by ${link('this run', saved.made_by.run_url)}`
    : 'The plan given in the `plan` input';
  const made = `${source}, on cluster ${code(saved.server.cluster_name)} (id ${code(saved.server.cluster_id)}).`;
  const lines = [
    report.dryRun || given.check !== 'as-planned' ? '### Plan given' : '### Plan applied',
  ];
  if (given.check === null) {
    lines.push(
      `${made} It was not applied: the run stopped at the ${report.error?.stage ?? ''} stage, before any write, as the error above says.`,
    );
  } else if (given.check === 'already-applied') {
    lines.push(
      `${made} The server was already where it leads, so nothing was written; the table above shows what each mount runs, read back from the server.`,
    );
  } else {
    lines.push(
      `${made} Before the first write, the inputs, the cluster, the binary, the catalog entry, the pin and ${targetCount(saved)} were read again and found as the plan recorded them${report.dryRun ? '; this dry run stopped there' : ''}.`,
    );
    if (report.plan) lines.push(planTable(report.plan));
  }
  return lines.join('\n\n');
}

/** What the plan was made from: what an apply reads again and must find the same. */
function madeFrom(plan: Plan, server: SavedServer): string {
  const entry = plan.catalogEntry;
  const facts = [
    `the server: ${code(server.product)}, cluster ${code(server.cluster_name)} (id ${code(server.cluster_id)})${server.namespace ? `, namespace ${code(server.namespace)}` : ''}`,
    plan.sha256
      ? `the binary: SHA-256 ${code(plan.sha256)} (where it came from: Artifact, below)`
      : 'the binary: none, the builtin runs inside the server',
    entry
      ? `the catalog: ${code(plan.version)} registered${entry.builtin ? ' (builtin)' : ` with command ${code(entry.command)}`}`
      : `the catalog: ${code(plan.version)} not registered`,
    `the pin: ${plan.pinned ? code(plan.pinned) : 'none'}`,
    `each ${plan.pluginType === 'database' ? 'connection' : 'mount'}: its configured and running version and SHA-256, as the first table shows them`,
  ];
  return ['Made from:', ...facts.map((f) => `- ${f}`)].join('\n');
}

function targetCount(saved: SavedPlan): string {
  const count = saved.mounts.length;
  const noun = saved.type === 'database' ? 'connection' : 'mount';
  return `${String(count)} ${noun}${count === 1 ? '' : 's'}`;
}
