import { wroteAnything } from '../rollout/apply.ts';
import { recordPlan } from '../rollout/saved-plan.ts';
import { runStatus, type RunReport } from '../rollout/run-report.ts';
import { provenanceRecord } from './provenance.ts';
import { registerCommand, registrationOf } from './registration.ts';

/** The step outputs, as strings; kept stable because workflows parse them. */
export function outputsOf(report: RunReport): Record<string, string> {
  const result = report.targets.map((m) => ({
    mount: m.path,
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
  }));
  const registration = registrationOf(report);
  return {
    version: report.version,
    sha256: report.artifact?.sha256 ?? '',
    command: report.plan?.command ?? '',
    changed: String(wroteAnything(report.record)),
    result: JSON.stringify(result),
    plan: planOutput(report),
    'reload-id': report.record.reloadIds.join(','),
    'rolled-back': String(runStatus(report) === 'rolled-back'),
    provenance: report.artifact ? JSON.stringify(provenanceRecord(report.artifact)) : '',
    'register-command': registration ? registerCommand(registration) : '',
  };
}

/** The saved plan (README: Plan, approve, apply): what the plan writes, and everything it was made from. */
function planOutput(report: RunReport): string {
  if (!report.plan || !report.planOrigin) return '';
  const provenance = report.artifact ? provenanceRecord(report.artifact) : null;
  return JSON.stringify(recordPlan(report.plan, report.planOrigin, provenance));
}
