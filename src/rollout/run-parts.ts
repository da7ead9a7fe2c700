// The parts of a run that do not depend on its namespaces: its report, its stages' times, the contexts its stages take.
import { tmpdir } from 'node:os';
import type { FetchContext } from '../artifact/facts.ts';
import type { RolloutConfig } from '../inputs/config.ts';
import { emptyRecord } from './apply.ts';
import type { ExecuteDeps } from './execute.ts';
import type { Host } from './host.ts';
import type { Plan } from './plan.ts';
import type { RunReport, Stage } from './run-report.ts';
import type { ServerSession } from './session.ts';

/** Times each stage into its report and remembers the one running, which a failure names. */
export class Stages {
  current: Stage = 'config';
  private readonly host: Host;

  constructor(host: Host) {
    this.host = host;
  }

  async run<T>(report: RunReport, name: Stage, title: string, work: () => Promise<T>): Promise<T> {
    this.current = name;
    const started = performance.now();
    try {
      return await this.host.group(title, work);
    } finally {
      report.timings.push({ stage: name, ms: performance.now() - started });
    }
  }
}

export function startReport(host: Host): RunReport {
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

export function describeRun(report: RunReport, config: RolloutConfig, host: Host): void {
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

export function artifactContext(config: RolloutConfig, host: Host): FetchContext {
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

/** The rollback's calls may use the time the rollout's were not allowed. */
export function lateDeps(deps: ExecuteDeps, server: ServerSession): ExecuteDeps {
  return {
    ...deps,
    client: server.late(deps.client),
    nodes: deps.nodes.map((node) => ({ ...node, client: server.late(node.client) })),
  };
}

export function logPlan(plan: Plan, host: Host): void {
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
