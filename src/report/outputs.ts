import { wroteAnything } from '../rollout/apply.ts';
import type { Plan } from '../rollout/plan.ts';
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
    plan: report.plan ? JSON.stringify(planJson(report.plan)) : '',
    'reload-id': report.record.reloadIds.join(','),
    'rolled-back': String(runStatus(report) === 'rolled-back'),
    provenance: report.artifact ? JSON.stringify(provenanceRecord(report.artifact)) : '',
    'register-command': registration ? registerCommand(registration) : '',
  };
}

export function planJson(plan: Plan): Record<string, unknown> {
  return {
    type: plan.pluginType,
    name: plan.pluginName,
    version: plan.version,
    sha256: plan.sha256,
    command: plan.command,
    plugin_file: plan.pluginFile,
    catalog: plan.catalog,
    discovered: plan.discovered,
    mounts: plan.targets.map((m) => ({ mount: m.path, from: m.from, to: m.to, action: m.action })),
    batches: plan.batches,
    canary: plan.canary,
    pin: plan.pin,
    prune: plan.prune,
  };
}
