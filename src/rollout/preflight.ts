import type { ArtifactFacts } from '../artifact/facts.ts';
import { inspectPluginFile } from './plugin-directory.ts';
import type { RolloutConfig } from '../inputs/config.ts';
import { PreflightError } from '../domain/errors.ts';
import {
  listCatalogVersions,
  readCatalogEntry,
  type CatalogEntry,
  type CatalogVersion,
} from '../vault/catalog.ts';
import type { VaultClient } from '../vault/client.ts';
import {
  likelyWritePaths,
  readRequirements,
  requireCapabilities,
  writeRequirements,
  type Granted,
  type Writes,
} from '../vault/capabilities.ts';
import { featuresOf, type ServerIdentity } from '../vault/identity.ts';
import { namespaceExists } from '../vault/namespaces.ts';
import { readPin } from '../vault/pins.ts';
import type { TargetState } from '../vault/mounts.ts';
import { readTargets } from '../vault/targets.ts';
import { effectiveCommand, planRollout, type Plan } from './plan.ts';
import { possibleRestarts } from './restarts.ts';

/** What the server holds that the plan depends on, read before the artifact is known. */
export interface ServerReading {
  identity: ServerIdentity;
  /** Capabilities already checked, so the write check asks only for the rest. */
  asked: Granted;
  catalogVersions: CatalogVersion[];
  /** The pinned version; `null` when none is pinned or the server has no pins. */
  pin: string | null;
  mountTable: Map<string, TargetState>;
  /** The catalog entry of the version to roll out; `null` when absent or reverting to the builtin. */
  versionEntry: CatalogEntry | null;
  /** Every connection of a database mount, when pruning needs the ones not listed too. */
  allTargets: Map<string, TargetState>;
}

/**
 * Reads everything the plan depends on but the artifact — catalog, pin,
 * mounts or connections, capabilities. Nothing here writes, and nothing
 * needs the artifact, so the run reads while the artifact downloads.
 */
export async function readServer(
  client: VaultClient,
  config: RolloutConfig,
  identity: ServerIdentity,
): Promise<ServerReading> {
  const { pluginType: type, pluginName: name, safety } = config;
  // Vault community edition ignores X-Vault-Namespace: every call would reach the root namespace's mounts.
  if (config.namespace && identity.product === 'Vault' && identity.edition === 'community') {
    throw new PreflightError(
      `namespace: Vault community edition has no namespaces, so ${config.namespace} would act on the root namespace's mounts; remove namespace, or use Vault Enterprise or OpenBao`,
    );
  }
  // Checked first: in a missing namespace every later read comes back empty or refused.
  if (config.namespace && !(await namespaceExists(client))) {
    throw new PreflightError(`namespace: ${config.namespace} does not exist on ${client.address}`);
  }
  const revert = safety.revertToBuiltin;
  const prunes = revert || safety.keepVersions !== null;
  const pins = featuresOf(identity).pins;
  const scope = {
    type,
    name,
    namespace: config.namespace,
    targets: config.targets,
    pins,
    listsCatalog: prunes,
  };
  const asked = await requireCapabilities(
    client,
    readRequirements(scope),
    new Map(),
    likelyWritePaths(scope, safety.probe),
  );
  // Independent reads go out together: each is a round trip to the server.
  const [catalogVersions, pin, mountTable, versionEntry] = await Promise.all([
    prunes ? listCatalogVersions(client, type, name) : Promise.resolve([]),
    pins ? readPin(client, type, name) : Promise.resolve(null),
    readTargets(client, type, config.targets),
    revert ? Promise.resolve(null) : readCatalogEntry(client, type, name, config.version),
  ]);
  const allTargets =
    prunes && type === 'database' && config.targets !== 'all'
      ? await readTargets(client, type, 'all')
      : mountTable;
  return { identity, asked, catalogVersions, pin, mountTable, versionEntry, allTargets };
}

/**
 * Plans from what the server holds and the artifact — the plugin directory
 * is read here, since the command may depend on the binary's hash — and
 * checks the capabilities the planned writes need. `artifact` is `null`
 * when reverting to the builtin.
 */
export async function planAgainst(
  client: VaultClient,
  config: RolloutConfig,
  reading: ServerReading,
  artifact: ArtifactFacts | null,
): Promise<Plan> {
  const { pluginType: type, pluginName: name, safety } = config;
  const { catalogVersions, pin, mountTable, versionEntry, allTargets } = reading;
  const revert = safety.revertToBuiltin;
  let version = config.version;
  let sha256 = artifact?.sha256 ?? '';
  let catalogEntry: CatalogEntry | null = versionEntry;
  if (revert) {
    const builtin = catalogVersions.find((v) => v.builtin);
    if (!builtin) {
      throw new PreflightError(
        `revert-to-builtin: ${type} plugin ${name} has no builtin version on this server`,
      );
    }
    version = builtin.version;
    // Builtins run inside the server: no file, no hash.
    sha256 = '';
    catalogEntry = { name, version, sha256, command: '', builtin: true };
  }
  const command = revert ? '' : effectiveCommand(config.command, catalogEntry, sha256);
  const pluginFile =
    config.pluginDirectory && !revert
      ? await inspectPluginFile(config.pluginDirectory, command)
      : null;
  const plan = planRollout({
    pluginType: type,
    pluginName: name,
    version,
    sha256,
    command,
    targets: config.targets,
    exclude: safety.exclude,
    canary: safety.canary,
    batchSize: safety.batchSize,
    catalogEntry,
    mountTable,
    pluginFile,
    pin,
    movePin: safety.movePin,
    server: featuresOf(reading.identity),
    catalogVersions,
    keepVersions: revert ? 0 : safety.keepVersions,
    allTargets,
  });
  await requireCapabilities(
    client,
    writeRequirements(plannedWrites(plan, config.namespace, safety.probe)),
    reading.asked,
  );
  return plan;
}

/** The writes the plan, and its rollback, may send. */
function plannedWrites(plan: Plan, namespace: string, probe: string): Writes {
  return {
    type: plan.pluginType,
    name: plan.pluginName,
    namespace,
    version: plan.version,
    register: plan.catalog === 'register',
    pin: plan.pin ? plan.pin.to : null,
    prune: plan.prune,
    tunes: plan.targets.filter((step) => step.action === 'tune').map((step) => step.path),
    restarts: possibleRestarts(plan),
    probe,
    probed: probe ? plan.batches.flat() : [],
  };
}
