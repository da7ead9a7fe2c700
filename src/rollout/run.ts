import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactFacts, FetchContext } from '../artifact/facts.ts';
import { fetchArtifact } from '../artifact/fetch.ts';
import { unverifiedWarning } from '../artifact/vouch.ts';
import { oneLine } from '../domain/errors.ts';
import { readConfig, type RolloutConfig } from '../inputs/config.ts';
import type { VaultClient } from '../vault/client.ts';
import { clusterSize, describeIdentity, featuresOf } from '../vault/identity.ts';
import { emptyRecord } from './apply.ts';
import { executePlan, pruneCatalog, type ExecuteDeps } from './execute.ts';
import type { Host } from './host.ts';
import type { Plan } from './plan.ts';
import { planAgainst } from './preflight.ts';
import { aheadRead, HeldLog, readAhead, type ServerAhead } from './read-ahead.ts';
import { recover } from './recovery.ts';
import { explainRefusal } from './refusal.ts';
import type { RunReport, Stage } from './run-report.ts';
import { planToApply, thisRun } from './plan-handoff.ts';
import { planOrigin } from './saved-plan.ts';
import { checkArtifact, checkServer, checkState, type PlanCheck } from './saved-plan-check.ts';
import { ServerSession } from './session.ts';
import { pendingOutcomes } from './verify.ts';

/**
 * One run, stage by stage: read the inputs, fetch and verify the artifact,
 * plan against the server, then roll out batch by batch and prune. Nothing is
 * written before the plan; after a failure during the rollout, `recover`
 * decides whether to roll back. Returns everything the run learned.
 */
export async function runRollout(host: Host): Promise<RunReport> {
  const report = startReport(host);
  const stages = new Stages(report, host);
  const server = new ServerSession(host);
  const held = new HeldLog();
  let ahead: Promise<ServerAhead> | null = null;
  let rollout: { deps: ExecuteDeps; rollbackOnFailure: boolean } | null = null;
  try {
    const { config, saved } = await stages.run('config', 'Read inputs', async () => {
      const config = readConfig(host.inputs, host.context);
      return { config, saved: await planToApply(host, config) };
    });
    describeRun(report, config, host);
    report.savedPlan = saved && { plan: saved, check: null };
    ahead = readAhead(server, config, held, (identity) => {
      if (saved) checkServer(saved, identity, config.url);
    });
    // Its failure is reported by the stage that reads the server, once the artifact's checks ran.
    ahead.catch(() => undefined);
    const source = config.artifact;
    report.artifact = source
      ? await stages.run('artifact', 'Fetch and verify the artifact', () =>
          fetchArtifact(source, config.trust, artifactContext(config, host)),
        )
      : null;
    if (report.artifact && !report.artifact.verified) {
      host.log.warning(unverifiedWarning(report.artifact.asset), 'Unverified artifact');
    }
    if (saved) checkArtifact(saved, report.artifact);
    const reads = ahead;
    const { plan, client, clusterNodes, identity } = await stages.run(
      'preflight',
      'Connect, read the server and plan',
      async () => {
        const { session, identity, reading } = await aheadRead(reads, held, host.log);
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
    report.plan = plan;
    report.planOrigin = planOrigin(config, identity, thisRun(host));
    report.version = plan.version;
    logPlan(plan, host);
    report.targets = pendingOutcomes(plan);
    if (saved) {
      const check = checkState(saved, plan);
      report.savedPlan = { plan: saved, check };
      host.log.info(`plan: ${CHECK_LOG[check]}`);
    }
    if (config.safety.dryRun) return report;
    const deps = executeDeps(config, plan, client, report.artifact, clusterNodes, host);
    rollout = { deps, rollbackOnFailure: config.safety.rollbackOnFailure };
    report.targets = await stages.run('rollout', 'Roll out, batch by batch', () =>
      executePlan(deps, report.record),
    );
    if (plan.prune.length > 0) {
      await stages.run('prune', 'Deregister unused versions', () =>
        pruneCatalog(deps, report.record),
      );
    }
  } catch (error) {
    const client = rollout?.deps.client ?? server.client;
    const refusal = client ? await explainRefusal(server.late(client), error) : null;
    report.error = { stage: stages.current, message: refusal ?? oneLine(error) };
    if (rollout) {
      const recovery = await recover(
        lateDeps(rollout.deps, server),
        report.record,
        stages.current,
        rollout.rollbackOnFailure,
        report.targets,
        (work) => stages.run('rollback', 'Roll back the touched mounts', work),
      );
      if (recovery) Object.assign(report, recovery);
    }
  } finally {
    // A login still under way must end before the session is closed, or its token would outlive the run.
    const opened = await ahead?.then(
      (a) => a.session.description,
      () => '',
    );
    held.release(host.log);
    report.login = await server.close(report.login || (opened ?? ''));
  }
  return report;
}

const CHECK_LOG: Record<PlanCheck, string> = {
  'as-planned': 'the server is as the given plan read it',
  'already-applied': 'the server is already where the given plan leads; nothing to write',
};

/** Times each stage into the report and remembers the one running, which a failure names. */
class Stages {
  current: Stage = 'config';
  private readonly report: RunReport;
  private readonly host: Host;

  constructor(report: RunReport, host: Host) {
    this.report = report;
    this.host = host;
  }

  async run<T>(name: Stage, title: string, work: () => Promise<T>): Promise<T> {
    this.current = name;
    const started = performance.now();
    try {
      return await this.host.group(title, work);
    } finally {
      this.report.timings.push({ stage: name, ms: performance.now() - started });
    }
  }
}

function startReport(host: Host): RunReport {
  return {
    pluginType: host.inputs.get('plugin-type') || 'secret',
    pluginName: host.inputs.get('plugin-name'),
    version: '',
    server: '',
    namespace: '',
    serverIdentity: '',
    login: '',
    artifact: null,
    plan: null,
    planOrigin: null,
    savedPlan: null,
    record: emptyRecord(),
    targets: [],
    readBack: true,
    timings: [],
    error: null,
    dryRun: false,
    summary: true,
    rollbackWorkflow: null,
    rollback: null,
  };
}

function describeRun(report: RunReport, config: RolloutConfig, host: Host): void {
  Object.assign(report, {
    pluginType: config.pluginType,
    pluginName: config.pluginName,
    version: config.version,
    server: config.url,
    namespace: config.namespace,
    dryRun: config.safety.dryRun,
    summary: config.summary,
  });
  const { repository, serverUrl } = host.workflow;
  const file = config.rollbackWorkflow;
  report.rollbackWorkflow = repository
    ? { file, repository, url: `${serverUrl}/${repository}/actions/workflows/${file}` }
    : null;
}

function artifactContext(config: RolloutConfig, host: Host): FetchContext {
  const { env } = host.context;
  return {
    pluginName: config.pluginName,
    version: config.version,
    platform: config.platform,
    workDirectory: env.RUNNER_TEMP || tmpdir(),
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    toolCache: env.RUNNER_TOOL_CACHE ?? '',
    githubApiUrl: host.workflow.apiUrl,
    log: host.log.info,
    mask: (value) => {
      host.context.mask(value);
    },
  };
}

function executeDeps(
  config: RolloutConfig,
  plan: Plan,
  client: VaultClient,
  artifact: ArtifactFacts | null,
  clusterNodes: number | null,
  host: Host,
): ExecuteDeps {
  return {
    client,
    plan,
    binaryPath: artifact?.binaryPath ?? '',
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

/** The rollback's calls may use the time the rollout's were not allowed. */
function lateDeps(deps: ExecuteDeps, server: ServerSession): ExecuteDeps {
  return {
    ...deps,
    client: server.late(deps.client),
    nodes: deps.nodes.map((node) => ({ ...node, client: server.late(node.client) })),
  };
}

function logPlan(plan: Plan, host: Host): void {
  if (plan.discovered) host.log.info(`found ${plan.discovered.join(', ') || 'nothing'}`);
  const moving = plan.targets.filter((m) => m.action !== 'none').length;
  host.log.info(
    `plan: plugin file ${plan.pluginFile}, catalog ${plan.catalog}, ${moving} of ${plan.targets.length} to move in ${plan.batches.length} batch(es)${plan.pin ? `, pin ${plan.pin.from} → ${plan.pin.to || '(removed)'}` : ''}${plan.prune.length > 0 ? `, then deregister ${plan.prune.join(', ')}` : ''}`,
  );
  if (plan.pin && plan.pinnedElsewhere.length > 0) {
    host.log.warning(
      `the pin covers every mount of ${plan.pluginName}; not being rolled: ${plan.pinnedElsewhere.join(', ')}, which will start ${plan.pin.to || 'their configured version'} at their next reload`,
      'Pin moves mounts not listed',
    );
  }
}
