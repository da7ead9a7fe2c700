import type { ArtifactFacts } from '../artifact/fetch.ts';
import type { ApplyRecord } from '../rollout/apply.ts';
import type { Plan } from '../rollout/plan.ts';
import type { MountOutcome } from '../rollout/verify.ts';

export type Stage = 'config' | 'artifact' | 'preflight' | 'apply' | 'verify';
export type RunStatus = 'rolled-out' | 'unchanged' | 'failed';

/** Everything a run learned, in the order it learned it; the summary and outputs are views of it. */
export interface RunReport {
  pluginType: string;
  pluginName: string;
  version: string;
  server: string;
  namespace: string;
  /** e.g. `OpenBao 2.7.2 community, single node`; empty until the server was reached. */
  serverIdentity: string;
  /** How the action authenticated, without any secret. */
  login: string;
  artifact: ArtifactFacts | null;
  plan: Plan | null;
  record: ApplyRecord;
  mounts: MountOutcome[];
  timings: { stage: Stage; ms: number }[];
  error: { stage: Stage; message: string } | null;
}

export function runStatus(report: RunReport): RunStatus {
  if (report.error) return 'failed';
  return report.plan?.changes ? 'rolled-out' : 'unchanged';
}
