import { wroteAnything } from '../rollout/apply.ts';
import { recordPlan } from '../rollout/saved-plan.ts';
import { overallStatus, type RunReport } from '../rollout/run-report.ts';
import { provenanceRecord } from './provenance.ts';
import { registerCommand, registrationOf } from './registration.ts';

/** The step outputs, as strings; kept stable because workflows parse them. */
export function outputsOf(reports: readonly RunReport[]): Record<string, string> {
  const result = reports.flatMap((report) =>
    report.targets.map((m) => ({
      mount: m.path,
      namespace: report.namespace,
      type: report.pluginType,
      previous: m.previous,
      target: m.target,
      version: m.version,
      running_version: m.runningVersion,
      running_sha256: m.runningSha256,
      result: m.result,
      evidence: m.evidence,
      nodes: m.nodes.map((n) => ({
        node: n.node,
        running_version: n.runningVersion,
        running_sha256: n.runningSha256,
        ok: n.problem === '',
      })),
    })),
  );
  const [first] = reports;
  if (!first) return {};
  const planned = reports.find((report) => report.plan) ?? first;
  const registration = registrationOf(planned);
  return {
    version: planned.version,
    sha256: first.artifact?.sha256 ?? '',
    command: planned.plan?.command ?? '',
    changed: String(reports.some((report) => wroteAnything(report.record))),
    result: JSON.stringify(result),
    // A saved plan holds one namespace.
    plan: reports.length === 1 ? planOutput(first) : '',
    'reload-id': reports.flatMap((report) => report.record.reloadIds).join(','),
    'rolled-back': String(overallStatus(reports) === 'rolled-back'),
    provenance: first.artifact ? JSON.stringify(provenanceRecord(first.artifact)) : '',
    'register-command': registration ? registerCommand(registration) : '',
  };
}

/** The saved plan (README: Plan, approve, apply): what the plan writes, and everything it was made from. */
function planOutput(report: RunReport): string {
  if (!report.plan || !report.planOrigin) return '';
  const provenance = report.artifact ? provenanceRecord(report.artifact) : null;
  return JSON.stringify(recordPlan(report.plan, report.planOrigin, provenance));
}
