import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as core from '@actions/core';
import { fetchArtifact } from './artifact/fetch.ts';
import { unverifiedWarning } from './artifact/vouch.ts';
import { readConfig, type InputSource, type RolloutConfig, type RunContext } from './config.ts';
import { oneLine } from './errors.ts';
import { log } from './report/log.ts';
import { outputsOf } from './report/outputs.ts';
import { STAGE_LABEL, runStatus, type RunReport, type Stage } from './report/model.ts';
import { urlSecrets } from './report/redact.ts';
import { renderSummary } from './report/summary.ts';
import { emptyRecord, movedMounts, wroteAnything } from './rollout/apply.ts';
import { executePlan, pruneCatalog, type ExecuteDeps } from './rollout/execute.ts';
import type { Plan } from './rollout/plan.ts';
import { preflight } from './rollout/preflight.ts';
import { rollBack } from './rollout/rollback.ts';
import { assessMounts, pendingOutcomes, type MountOutcome } from './rollout/verify.ts';
import { authenticate, revokeSession, type Session } from './vault/auth.ts';
import { SYSTEM_CLOCK, VaultClient } from './vault/client.ts';
import { loadTls, openConnection } from './vault/connection.ts';
import { clusterSize, describeIdentity, featuresOf, readIdentity } from './vault/identity.ts';
import { readTargets } from './vault/targets.ts';
import { workflowRun, type WorkflowRun } from './workflow-event.ts';

/** Credentials in a URL input (an artifact at `https://user:password@host/…`) are masked the moment they are read. */
function readInput(name: string): string {
  const value = core.getInput(name);
  for (const secret of urlSecrets(value)) core.setSecret(secret);
  return value;
}

const inputs: InputSource = {
  get: readInput,
  secret: (name) => {
    const value = readInput(name);
    if (value) core.setSecret(value);
    return value;
  },
};

function runContext(workflow: WorkflowRun): RunContext {
  return {
    env: process.env,
    eventName: workflow.eventName,
    eventInputs: workflow.eventInputs,
    ref: workflow.ref,
    repository: workflow.repository,
    apiUrl: workflow.apiUrl,
    nodePlatform: process.platform,
    nodeArch: process.arch,
    mask: (value) => {
      core.setSecret(value);
    },
  };
}

/** Wires the stages together; the only place that decides the step's exit status. */
export async function run(): Promise<void> {
  const report: RunReport = {
    pluginType: core.getInput('plugin-type') || 'secret',
    pluginName: core.getInput('plugin-name'),
    version: '',
    server: '',
    namespace: '',
    serverIdentity: '',
    login: '',
    artifact: null,
    plan: null,
    record: emptyRecord(),
    mounts: [],
    timings: [],
    error: null,
    dryRun: false,
    rollbackWorkflow: null,
    rollback: null,
  };
  let writeSummary = true;
  let current = 'config' as Stage;
  const stage = async <T>(name: Stage, title: string, work: () => Promise<T>): Promise<T> => {
    current = name;
    const started = performance.now();
    try {
      return await core.group(title, work);
    } finally {
      report.timings.push({ stage: name, ms: performance.now() - started });
    }
  };
  // Filled in inside stages; read again in `finally` to revoke and close.
  const live: { connection: VaultClient | null; session: Session | null } = {
    connection: null,
    session: null,
  };
  let execution: ExecuteDeps | null = null;
  let rollbackOnFailure = false;
  const workflow = workflowRun();
  try {
    const config = await stage('config', 'Read inputs', () =>
      Promise.resolve(readConfig(inputs, runContext(workflow))),
    );
    Object.assign(report, {
      pluginType: config.pluginType,
      pluginName: config.pluginName,
      version: config.version,
      server: config.url,
      namespace: config.namespace,
      dryRun: config.safety.dryRun,
    });
    rollbackOnFailure = config.safety.rollbackOnFailure;
    writeSummary = config.summary;
    report.rollbackWorkflow = rollbackWorkflow(config.rollbackWorkflow, workflow);
    const source = config.artifact;
    const artifact = source
      ? await stage('artifact', 'Fetch and verify the artifact', () =>
          fetchArtifact(source, config.trust, {
            pluginName: config.pluginName,
            version: config.version,
            platform: config.platform,
            workDirectory: process.env.RUNNER_TEMP || tmpdir(),
            workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
            toolCache: process.env.RUNNER_TOOL_CACHE ?? '',
            githubApiUrl: workflow.apiUrl,
            log: log.info,
          }),
        )
      : null;
    report.artifact = artifact;
    if (artifact && !artifact.verified) {
      log.warning(unverifiedWarning(artifact.asset), 'Unverified artifact');
    }
    const { vault, plan, clusterNodes } = await stage(
      'preflight',
      'Connect, read the server and plan',
      async () => {
        const connection = connect(config);
        live.connection = connection;
        const session = await authenticate(connection, config.auth, {
          mask: (value) => {
            core.setSecret(value);
          },
          getIDToken: (audience) => core.getIDToken(audience),
          readFile: (path) => readFile(path, 'utf8'),
          env: process.env,
          clock: SYSTEM_CLOCK,
        });
        report.login = session.description;
        log.info(`logged in: ${session.description}`);
        live.session = session;
        const identity = await readIdentity(session.client);
        report.serverIdentity = describeIdentity(identity);
        log.info(`server: ${report.serverIdentity}`);
        const followsReload = featuresOf(identity).reloadStatus && config.reloadScope === 'global';
        return {
          vault: session.client,
          plan: await preflight(session.client, config, artifact, identity),
          clusterNodes: followsReload ? clusterSize(identity) : null,
        };
      },
    );
    report.plan = plan;
    report.version = plan.version;
    logPlan(plan);
    report.mounts = pendingOutcomes(plan);
    if (config.safety.dryRun) return;
    const deps: ExecuteDeps = {
      client: vault,
      plan,
      binaryPath: artifact?.binaryPath ?? '',
      pluginDirectory: config.pluginDirectory,
      reloadScope: config.reloadScope,
      clusterNodes,
      nodes: config.safety.nodes.map((address) => ({ address, client: vault.atAddress(address) })),
      concurrency: config.safety.concurrency,
      probe: config.safety.probe,
      timeoutSeconds: config.verifyTimeoutSeconds,
      sleep: (ms) => sleep(ms),
      now: () => Date.now(),
      log: log.info,
    };
    execution = deps;
    report.mounts = await stage('rollout', 'Roll out, batch by batch', () =>
      executePlan(deps, report.record),
    );
    if (plan.prune.length > 0) {
      await stage('prune', 'Deregister unused versions', () => pruneCatalog(deps, report.record));
    }
  } catch (error) {
    report.error = { stage: current, message: oneLine(error) };
    const deps = execution;
    // A failed prune comes after every mount was verified, and a failure before
    // any mount moved left nothing running differently: nothing to roll back.
    if (deps && current === 'rollout' && rollbackOnFailure && movedMounts(report.record)) {
      try {
        report.mounts = await stage('rollback', 'Roll back the touched mounts', () =>
          rollBack(deps, report.record),
        );
        report.rollback = { error: '' };
      } catch (rollbackError) {
        report.rollback = { error: oneLine(rollbackError) };
        report.mounts = await liveOutcomes(deps).catch(() => report.mounts);
      }
    } else if (deps && current === 'rollout' && wroteAnything(report.record)) {
      report.mounts = await liveOutcomes(deps).catch(() => report.mounts);
    }
    // setFailed cannot carry a title; the annotation's title names the stage.
    log.error(failureLine(report), failureTitle(report));
    process.exitCode = core.ExitCode.Failure;
  } finally {
    if (live.session) {
      const problem = await revokeSession(live.session);
      if (problem) log.warning(problem, 'Token not revoked');
      else if (live.session.loggedIn) report.login += '; token revoked at the end';
    }
    await live.connection?.close();
    await publish(report, writeSummary);
  }
}

function failureTitle(report: RunReport): string {
  if (runStatus(report) === 'rolled-back') return 'Rollout failed and was rolled back';
  const stage = report.error?.stage ?? 'config';
  return stage === 'config'
    ? 'Bad input — nothing written'
    : stage === 'artifact' || stage === 'preflight'
      ? `${STAGE_LABEL[stage]} check failed — nothing written`
      : `${STAGE_LABEL[stage]} failed`;
}

function rollbackWorkflow(file: string, workflow: WorkflowRun): RunReport['rollbackWorkflow'] {
  const { repository, serverUrl } = workflow;
  if (!repository) return null;
  return { file, repository, url: `${serverUrl}/${repository}/actions/workflows/${file}` };
}

/** The step's one error line: the first failure, and what the rollback did about it. */
function failureLine(report: RunReport): string {
  const message = report.error?.message ?? '';
  if (!report.rollback) return message;
  return report.rollback.error
    ? `${message} — and the rollback failed: ${report.rollback.error}`
    : `${message} — rolled back: every touched mount runs its previous version again`;
}

async function liveOutcomes(deps: ExecuteDeps): Promise<MountOutcome[]> {
  const paths = deps.plan.mounts.map((m) => m.path);
  return assessMounts(deps.plan, await readTargets(deps.client, deps.plan.pluginType, paths));
}

function connect(config: RolloutConfig): VaultClient {
  const tls = loadTls(config.connection);
  if (!tls.rejectUnauthorized) {
    log.warning(
      'tls-skip-verify: the server certificate is NOT verified; anyone on the path to the server can read the token. Use ca-certificate instead.',
      'TLS verification is off',
    );
  }
  const { dispatcher, proxy } = openConnection(config.url, tls, process.env);
  if (proxy) log.info(`connecting through the proxy at ${proxy}`);
  return new VaultClient({
    address: config.url,
    token: '',
    namespace: config.namespace,
    nodes: config.safety.nodes,
    dispatcher,
    callTimeoutMs: config.connection.timeoutSeconds * 1000,
    debug: core.isDebug() ? log.debug : undefined,
  });
}

function logPlan(plan: Plan): void {
  if (plan.discovered) log.info(`found ${plan.discovered.join(', ') || 'nothing'}`);
  const moving = plan.mounts.filter((m) => m.action !== 'none').length;
  log.info(
    `plan: plugin file ${plan.pluginFile}, catalog ${plan.catalog}, ${moving} of ${plan.mounts.length} to move in ${plan.batches.length} batch(es)${plan.pin ? `, pin ${plan.pin.from} → ${plan.pin.to || '(removed)'}` : ''}${plan.prune.length > 0 ? `, then deregister ${plan.prune.join(', ')}` : ''}`,
  );
  if (plan.pin && plan.pinnedElsewhere.length > 0) {
    log.warning(
      `the pin covers every mount of ${plan.pluginName}; not being rolled: ${plan.pinnedElsewhere.join(', ')}, which will start ${plan.pin.to || 'their configured version'} at their next reload`,
      'Pin moves mounts not listed',
    );
  }
}

async function publish(report: RunReport, writeSummary: boolean): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  const status = runStatus(report);
  log.info(`result: ${status}`);
  const done = `${report.pluginName} ${report.version} on ${String(report.mounts.length)} ${report.pluginType === 'database' ? 'connection(s)' : 'mount(s)'}`;
  const proven = report.artifact?.verified === false ? 'running an unverified binary' : 'verified';
  if (status === 'rolled-out') log.notice(`${done}, ${proven}`, 'Rolled out');
  if (status === 'unchanged') log.notice(`${done}: already in place`, 'Unchanged');
  if (status === 'dry-run') log.notice(`${done}: planned, nothing written`, 'Dry run');
  if (writeSummary && process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(renderSummary(report)).write();
  }
}
