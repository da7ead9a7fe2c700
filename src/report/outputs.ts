import { wroteAnything } from '../rollout/apply.ts';
import type { RunReport } from './model.ts';
import { provenanceRecord, registerCommand, registrationOf } from './provenance.ts';

/** The step outputs, as strings; kept stable because workflows parse them. */
export function outputsOf(report: RunReport): Record<string, string> {
  const result = report.mounts.map((m) => ({
    mount: m.path,
    type: report.pluginType,
    previous: m.previous,
    target: m.target,
    version: m.version,
    running_version: m.runningVersion,
    running_sha256: m.runningSha256,
    result: m.result,
  }));
  const registration = registrationOf(report);
  return {
    version: report.version,
    sha256: report.artifact?.sha256 ?? '',
    command: report.plan?.command ?? '',
    changed: String(wroteAnything(report.record)),
    result: JSON.stringify(result),
    'reload-id': report.record.reloadId,
    provenance: report.artifact ? JSON.stringify(provenanceRecord(report.artifact)) : '',
    'register-command': registration ? registerCommand(registration) : '',
  };
}
