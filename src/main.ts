import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as core from '@actions/core';
import { context } from '@actions/github';
import { fetchArtifact, type ArtifactFacts } from './artifact/fetch.ts';
import { inspectPluginFile } from './artifact/place.ts';
import { readConfig, type InputSource, type RolloutConfig, type RunContext } from './config.ts';
import { oneLine } from './errors.ts';
import { outputsOf } from './report/outputs.ts';
import { runStatus, type RunReport, type Stage } from './report/model.ts';
import { renderSummary } from './report/summary.ts';
import { applyPlan, emptyRecord } from './rollout/apply.ts';
import { effectiveCommand, planRollout, type Plan } from './rollout/plan.ts';
import { VerificationFailure, pendingOutcomes, verifyRollout } from './rollout/verify.ts';
import { readCatalogEntry } from './vault/catalog.ts';
import { VaultClient } from './vault/client.ts';
import { readMountTable } from './vault/mounts.ts';

const inputs: InputSource = {
  get: (name) => core.getInput(name),
  secret: (name) => {
    const value = core.getInput(name);
    if (value) core.setSecret(value);
    return value;
  },
};

function runContext(): RunContext {
  const event = context.payload as { inputs?: Record<string, unknown> };
  return {
    env: process.env,
    eventName: context.eventName,
    eventInputs: event.inputs ?? {},
    ref: context.ref,
    repository: process.env.GITHUB_REPOSITORY ?? '',
    apiUrl: context.apiUrl,
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
    artifact: null,
    plan: null,
    record: emptyRecord(),
    mounts: [],
    timings: [],
    error: null,
  };
  let current: Stage = 'config';
  const stage = async <T>(name: Stage, title: string, work: () => Promise<T>): Promise<T> => {
    current = name;
    const started = performance.now();
    try {
      return await core.group(title, work);
    } finally {
      report.timings.push({ stage: name, ms: performance.now() - started });
    }
  };
  let client: VaultClient | null = null;
  try {
    const config = await stage('config', 'Read inputs', () =>
      Promise.resolve(readConfig(inputs, runContext())),
    );
    Object.assign(report, {
      pluginType: config.pluginType,
      pluginName: config.pluginName,
      version: config.version,
      server: config.url,
      namespace: config.namespace,
    });
    const artifact = await stage('artifact', 'Fetch and verify the artifact', () =>
      fetchArtifact(config.artifact, config.trust, {
        pluginName: config.pluginName,
        version: config.version,
        platform: config.platform,
        workDirectory: process.env.RUNNER_TEMP || tmpdir(),
        workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
        toolCache: process.env.RUNNER_TOOL_CACHE ?? '',
        log: core.info,
      }),
    );
    report.artifact = artifact;
    const vault = new VaultClient({
      address: config.url,
      token: config.token,
      namespace: config.namespace,
    });
    client = vault;
    const plan = await stage('preflight', 'Read the server and plan', () =>
      preflight(vault, config, artifact),
    );
    report.plan = plan;
    report.mounts = pendingOutcomes(plan);
    await stage('apply', 'Apply the plan', () =>
      applyPlan(
        {
          client: vault,
          plan,
          binaryPath: artifact.binaryPath,
          pluginDirectory: config.pluginDirectory,
          reloadScope: config.reloadScope,
          log: core.info,
        },
        report.record,
      ),
    );
    report.mounts = await stage('verify', 'Verify what runs', () =>
      verifyRollout({
        client: vault,
        plan,
        timeoutSeconds: config.verifyTimeoutSeconds,
        sleep: (ms) => sleep(ms),
        now: () => Date.now(),
      }),
    );
  } catch (error) {
    if (error instanceof VerificationFailure) report.mounts = error.outcomes;
    report.error = { stage: current, message: oneLine(error) };
    core.setFailed(oneLine(error));
  } finally {
    await client?.close();
    await publish(report);
  }
}

async function preflight(
  client: VaultClient,
  config: RolloutConfig,
  artifact: ArtifactFacts,
): Promise<Plan> {
  const [catalogEntry, mountTable] = await Promise.all([
    readCatalogEntry(client, config.pluginType, config.pluginName, config.version),
    readMountTable(client, config.pluginType),
  ]);
  const command = effectiveCommand(config.command, catalogEntry, artifact.sha256);
  const pluginFile = config.pluginDirectory
    ? await inspectPluginFile(config.pluginDirectory, command)
    : null;
  const plan = planRollout({
    pluginType: config.pluginType,
    pluginName: config.pluginName,
    version: config.version,
    sha256: artifact.sha256,
    command,
    mounts: config.mounts,
    catalogEntry,
    mountTable,
    pluginFile,
  });
  core.info(
    `plan: plugin file ${plan.pluginFile}, catalog ${plan.catalog}, ${plan.mounts.filter((m) => m.action !== 'none').length} of ${plan.mounts.length} mounts to move`,
  );
  return plan;
}

async function publish(report: RunReport): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  core.info(`result: ${runStatus(report)}`);
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(renderSummary(report)).write();
  }
}
