import type { RunReport } from '../rollout/run-report.ts';

/** The run's plugin type, as far as it is known: the inputs may not have been read. */
export function targetType(report: RunReport): 'secret' | 'auth' | 'database' {
  return report.pluginType === 'database' || report.pluginType === 'auth'
    ? report.pluginType
    : 'secret';
}
