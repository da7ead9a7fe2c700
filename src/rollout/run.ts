import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactFacts } from '../artifact/facts.ts';
import { fetchArtifact } from '../artifact/fetch.ts';
import { unverifiedWarning } from '../artifact/vouch.ts';
import { oneLine } from '../domain/errors.ts';
import { readConfig, type RolloutConfig } from '../inputs/config.ts';
import type { VaultClient } from '../vault/client.ts';
import { clusterSize, describeIdentity, featuresOf } from '../vault/identity.ts';
import { executePlan, pruneCatalog, type ExecuteDeps } from './execute.ts';
import type { Host } from './host.ts';
import { withCatalogReady, type Plan } from './plan.ts';
import {
  artifactContext,
  describeRun,
  lateDeps,
  logPlan,
  Stages,
  startReport,
} from './run-parts.ts';
import { planAgainst } from './preflight.ts';
import { aheadRead, HeldLog, readAhead, type ServerAhead } from './read-ahead.ts';
import { recover } from './recovery.ts';
import { explainRefusal } from './refusal.ts';
import type { RunReport, Stage } from './run-report.ts';
import { planToApply, thisRun } from './plan-handoff.ts';
import { planOrigin } from './saved-plan.ts';
import { checkArtifact, checkServer, checkState, type PlanCheck } from './saved-plan-check.ts';
import type { SavedPlan } from './saved-plan-shape.ts';
import { ServerSession } from './session.ts';
import { pendingOutcomes } from './verify.ts';

/** One namespace of the run: its settings, what it learned, and its own log lines while others held the log. */
interface Leg {
  config: RolloutConfig;
  report: RunReport;
  held: HeldLog;
  /** The login and the server's reads for this namespace, started with the artifact's download. */
  ahead: Promise<ServerAhead>;
  deps: ExecuteDeps | null;
}

/**
 * One run, stage by stage: read the inputs, fetch and verify the artifact,
 * plan against the server in every namespace, then roll out namespace by
 * namespace, batch by batch, and prune. Nothing is written before every
 * namespace is planned; after a failure during the rollout, `recover`
 * decides whether to roll back, and the namespaces rolled out before the
 * failing one are rolled back with it. Returns one report a namespace.
 */
export async function runRollout(host: Host): Promise<RunReport[]> {
  const first = startReport(host);
  const stages = new Stages(host);
  let inputs: { config: RolloutConfig; saved: SavedPlan | null };
  try {
    inputs = await stages.run(first, 'config', 'Read inputs', async () => {
      const config = readConfig(host.inputs, host.context);
      return { config, saved: await planToApply(host, config) };
    });
  } catch (error) {
    first.error = { stage: 'config', message: oneLine(error) };
    return [first];
  }
  const { config, saved } = inputs;
  // One connection and one login serve every namespace: logins live in the root namespace.
  const server = new ServerSession(host);
  const legs = config.namespaces.map((namespace, i): Leg => {
    const leg = { config: { ...config, namespace }, held: new HeldLog() };
    const report = i === 0 ? first : startReport(host);
    describeRun(report, leg.config, host);
    report.savedPlan = saved && { plan: saved, check: null };
    const ahead = readAhead(server, leg.config, leg.held, (identity) => {
      if (saved) checkServer(saved, identity, config.url);
    });
    // Its failure is reported by the stage that reads the server, once the artifact's checks ran.
    ahead.catch(() => undefined);
    return { ...leg, report, ahead, deps: null };
  });
  try {
    await rollLegs(legs, server, saved, stages, host);
  } finally {
    // A login still under way must end before the session is closed, or its token would outlive the run.
    const opened = await Promise.all(
      legs.map((leg) =>
        leg.ahead.then(
          (a) => a.session.description,
          () => '',
        ),
      ),
    );
    for (const leg of legs) leg.held.release(host.log);
    const login = await server.close(first.login || (opened.find(Boolean) ?? ''));
    for (const leg of legs) leg.report.login = login;
  }
  return legs.map((leg) => leg.report);
}

async function rollLegs(
  legs: readonly Leg[],
  server: ServerSession,
  saved: SavedPlan | null,
  stages: Stages,
  host: Host,
): Promise<void> {
  const [lead] = legs;
  if (!lead) return;
  const { config } = lead;
  let artifact: ArtifactFacts | null = null;
  try {
    const source = config.artifact;
    artifact = source
      ? await stages.run(lead.report, 'artifact', 'Fetch and verify the artifact', () =>
          fetchArtifact(source, config.trust, artifactContext(config, host)),
        )
      : null;
    if (artifact && !artifact.verified) {
      host.log.warning(unverifiedWarning(artifact.asset), 'Unverified artifact');
    }
    if (saved) checkArtifact(saved, artifact);
  } catch (error) {
    await failed(lead, server, 'artifact', error);
    for (const leg of legs) leg.report.error = lead.report.error;
    return;
  } finally {
    for (const leg of legs) leg.report.artifact = artifact;
    // The inputs and the artifact are every namespace's: each report shows their times.
    for (const leg of legs.slice(1)) leg.report.timings.push(...lead.report.timings);
  }
  const planned: { leg: Leg; made: Planned }[] = [];
  for (const leg of legs) {
    try {
      // The file and the catalog are every namespace's: the first to need them writes them.
      const ready = planned.some(
        (p) => p.made.plan.catalog === 'register' || p.made.plan.pluginFile === 'copy',
      );
      planned.push({ leg, made: await planLeg(leg, { count: legs.length, ready }, stages, host) });
    } catch (error) {
      await failed(leg, server, 'preflight', error);
      // Without a login no namespace was read: the failure is the whole run's.
      const shared = error === (await server.openingError());
      for (const other of legs) {
        if (shared) other.report.error = leg.report.error;
        other.report.error ??= {
          stage: 'preflight',
          message: `the checks in ${where(leg)} failed`,
          from: where(leg),
        };
      }
      return;
    }
  }
  if (config.safety.dryRun) return;
  for (const [index, { leg, made }] of planned.entries()) {
    const { report } = leg;
    try {
      const deps = executeDeps(leg, made, host);
      leg.deps = deps;
      report.targets = await stages.run(
        report,
        'rollout',
        titled('Roll out, batch by batch', leg, legs.length),
        () => executePlan(deps, report.record),
      );
      if (made.plan.prune.length > 0) {
        await stages.run(report, 'prune', 'Deregister unused versions', () =>
          pruneCatalog(deps, report.record),
        );
      }
    } catch (error) {
      const stage = stages.current;
      await failed(leg, server, stage, error);
      await recoverLeg(leg, server, stage, legs.length, stages);
      if (stage === 'rollout' && config.safety.rollbackOnFailure) {
        for (const earlier of legs.slice(0, index).reverse()) {
          const before = earlier.report.error;
          earlier.report.error = {
            stage: 'rollout',
            message: `the rollout in ${where(leg)} failed`,
            from: where(leg),
          };
          const rolledBack = await recoverLeg(earlier, server, 'rollout', legs.length, stages);
          if (!rolledBack) earlier.report.error = before;
        }
      }
      for (const later of legs.slice(index + 1)) {
        later.report.error = {
          stage: 'rollout',
          message: `the rollout in ${where(leg)} failed`,
          from: where(leg),
        };
      }
      return;
    }
  }
}

/** A namespace's plan, and the client and cluster it was made on. */
interface Planned {
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
async function planLeg(
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
function titled(title: string, leg: Leg, count: number): string {
  return count > 1 ? `${title}: ${where(leg)}` : title;
}

function where(leg: Leg): string {
  return leg.config.namespace ? `namespace ${leg.config.namespace}` : 'the root namespace';
}

/** Records the failure of a namespace's stage, in the server's words where it refused. */
async function failed(
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
async function recoverLeg(
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

function executeDeps(leg: Leg, { plan, client, clusterNodes }: Planned, host: Host): ExecuteDeps {
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
