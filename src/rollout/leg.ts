// One namespace of a run: how it is planned, what its rollout is given, and how its failure is recorded and recovered.
import { setTimeout as sleep } from 'node:timers/promises';
import { oneLine } from '../domain/errors.ts';
import type { RolloutConfig } from '../inputs/config.ts';
import type { VaultClient } from '../vault/client.ts';
import { clusterSize, describeIdentity, featuresOf } from '../vault/identity.ts';
import type { ExecuteDeps } from './execute.ts';
import type { Host } from './host.ts';
import { withCatalogReady, type Plan } from './plan.ts';
import { thisRun } from './plan-handoff.ts';
import { planAgainst } from './preflight.ts';
import { aheadRead, type HeldLog, type ServerAhead } from './read-ahead.ts';
import { recover } from './recovery.ts';
import { explainRefusal } from './refusal.ts';
import { lateDeps, logPlan, type Stages } from './run-parts.ts';
import type { RunReport, Stage } from './run-report.ts';
import { planOrigin } from './saved-plan.ts';
import { checkState, type PlanCheck } from './saved-plan-check.ts';
import type { ServerSession } from './session.ts';
import { pendingOutcomes } from './verify.ts';

/** One namespace of the run: its settings, what it learned, and its own log lines while others held the log. */
export interface Leg {
  config: RolloutConfig;
  report: RunReport;
  held: HeldLog;
  /** The login and the server's reads for this namespace, started with the artifact's download. */
  ahead: Promise<ServerAhead>;
  deps: ExecuteDeps | null;
}

/** A namespace's plan, and the client and cluster it was made on. */
export interface Planned {
  plan: Plan;
  client: VaultClient;
  /** Vault Enterprise: how many nodes report each global reload; `null` elsewhere. */
  clusterNodes: number | null;
}

/**
 * Waits for the namespace's read-ahead, then plans it against the artifact;
 * `ready` when an earlier namespace of the run places the file and registers
 * the version.
 */
export async function planLeg(
  leg: Leg,
  { count, ready }: { count: number; ready: boolean },
  stages: Stages,
  host: Host,
): Promise<Planned> {
  const { report, config } = leg;
  const reads = leg.ahead;
  const made = await stages.run(
    report,
    'preflight',
    titled('Connect, read the server and plan', leg, count),
    async () => {
      const { session, identity, reading } = await aheadRead(reads, leg.held, host.log);
      report.login = session.description;
      report.serverIdentity = describeIdentity(identity);
      host.log.info(`server: ${report.serverIdentity}`);
      const followsReload = featuresOf(identity).reloadStatus && config.reloadScope === 'global';
      return {
        client: session.client,
        plan: await planAgainst(session.client, config, reading, report.artifact),
        clusterNodes: followsReload ? clusterSize(identity) : null,
        identity,
      };
    },
  );
  const { client, clusterNodes, identity } = made;
  const plan = ready ? withCatalogReady(made.plan) : made.plan;
  report.plan = plan;
  report.planOrigin = planOrigin(config, identity, thisRun(host));
  report.version = plan.version;
  logPlan(plan, host);
  report.targets = pendingOutcomes(plan);
  if (report.savedPlan) {
    const check = checkState(report.savedPlan.plan, plan);
    report.savedPlan = { plan: report.savedPlan.plan, check };
    host.log.info(`plan: ${CHECK_LOG[check]}`);
  }
  return { plan, client, clusterNodes };
}

const CHECK_LOG: Record<PlanCheck, string> = {
  'as-planned': 'the server is as the given plan read it',
  'already-applied': 'the server is already where the given plan leads; nothing to write',
};

/** A namespace's stage is titled with its namespace when the run has several. */
export function titled(title: string, leg: Leg, count: number): string {
  return count > 1 ? `${title}: ${where(leg)}` : title;
}

function where(leg: Leg): string {
  return leg.config.namespace ? `namespace ${leg.config.namespace}` : 'the root namespace';
}

/** The error of a namespace that stopped because the stage failed in another. */
export function failedIn(
  leg: Leg,
  stage: 'preflight' | 'rollout',
): NonNullable<RunReport['error']> {
  const what = stage === 'preflight' ? 'checks' : 'rollout';
  return { stage, message: `the ${what} in ${where(leg)} failed`, from: where(leg) };
}

/** Records the failure of a namespace's stage, in the server's words where it refused. */
export async function failed(
  leg: Leg,
  server: ServerSession,
  stage: Stage,
  error: unknown,
): Promise<void> {
  const client = leg.deps?.client ?? server.client?.inNamespace(leg.config.namespace);
  const refusal = client ? await explainRefusal(server.late(client), error) : null;
  leg.report.error = { stage, message: refusal ?? oneLine(error) };
}

/** Recovers a namespace the run wrote to; whether a rollback was attempted there. */
export async function recoverLeg(
  leg: Leg,
  server: ServerSession,
  stage: Stage,
  count: number,
  stages: Stages,
): Promise<boolean> {
  const { deps, report } = leg;
  if (!deps) return false;
  const recovery = await recover(
    lateDeps(deps, server),
    report.record,
    stage,
    leg.config.safety.rollbackOnFailure,
    report.targets,
    (work) =>
      stages.run(report, 'rollback', titled('Roll back the touched mounts', leg, count), work),
  );
  if (recovery) Object.assign(report, recovery);
  return recovery?.rollback != null;
}

export function executeDeps(
  leg: Leg,
  { plan, client, clusterNodes }: Planned,
  host: Host,
): ExecuteDeps {
  const { config } = leg;
  return {
    client,
    plan,
    binaryPath: leg.report.artifact?.binaryPath ?? '',
    pluginDirectory: config.pluginDirectory,
    reloadScope: config.reloadScope,
    clusterNodes,
    nodes: config.safety.nodes.map((address) => ({ address, client: client.atAddress(address) })),
    concurrency: config.safety.concurrency,
    probe: config.safety.probe,
    timeoutSeconds: config.verifyTimeoutSeconds,
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
    log: host.log.info,
  };
}
