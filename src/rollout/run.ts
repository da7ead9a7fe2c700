import type { ArtifactFacts } from '../artifact/facts.ts';
import { fetchArtifact } from '../artifact/fetch.ts';
import { unverifiedWarning } from '../artifact/vouch.ts';
import { oneLine } from '../domain/errors.ts';
import { readConfig, type RolloutConfig } from '../inputs/config.ts';
import { executePlan, pruneCatalog } from './execute.ts';
import type { Host } from './host.ts';
import {
  executeDeps,
  failed,
  failedIn,
  planLeg,
  recoverLeg,
  titled,
  type Leg,
  type Planned,
} from './leg.ts';
import { planToApply } from './plan-handoff.ts';
import { HeldLog, readAhead } from './read-ahead.ts';
import { artifactContext, describeRun, Stages, startReport } from './run-parts.ts';
import type { RunReport } from './run-report.ts';
import { checkArtifact, checkServer } from './saved-plan-check.ts';
import type { SavedPlan } from './saved-plan-shape.ts';
import { ServerSession } from './session.ts';

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
        other.report.error ??= failedIn(leg, 'preflight');
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
          earlier.report.error = failedIn(leg, 'rollout');
          const rolledBack = await recoverLeg(earlier, server, 'rollout', legs.length, stages);
          if (!rolledBack) earlier.report.error = before;
        }
      }
      for (const later of legs.slice(index + 1)) {
        later.report.error = failedIn(leg, 'rollout');
      }
      return;
    }
  }
}
