/** How carefully the run moves: dry run, canary and batches, probes, pins, pruning and the nodes to check. */
import { ConfigError } from '../domain/errors.ts';
import type { PluginType } from '../domain/plugin.ts';
import { booleanInput, lineList, wholeNumber } from './parse.ts';
import type { InputSource } from './source.ts';
import { pathList } from './targets.ts';

export interface SafetyOptions {
  dryRun: boolean;
  rollbackOnFailure: boolean;
  /** Path read under each mount after its reload; empty for none. */
  probe: string;
  canary: string[];
  /** Mounts moved per batch after the canary; 0 moves them all at once. */
  batchSize: number;
  exclude: string[];
  /** Tune calls in flight at once. */
  concurrency: number;
  /** Move a pin (Vault 1.16+) that holds another version. */
  movePin: boolean;
  /** Newest external versions to keep after a verified success; `null` prunes nothing. */
  keepVersions: number | null;
  revertToBuiltin: boolean;
  /** Every node's own API address, to verify (and if need be reload) each one. */
  nodes: string[];
}

/** One node API address a line, `#` comments allowed. */
function nodeList(raw: string, pluginType: PluginType): string[] {
  const nodes: string[] = [];
  for (const text of lineList(raw)) {
    const url = URL.canParse(text) ? new URL(text) : null;
    if (
      !url ||
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.pathname !== '/' ||
      url.search
    ) {
      throw new ConfigError(
        `nodes: "${text}" is not a node's API address; use one https://host:port a line`,
      );
    }
    if (!nodes.includes(url.origin)) nodes.push(url.origin);
  }
  if (nodes.length > 0 && pluginType === 'database') {
    throw new ConfigError(
      'nodes: database connections report no running state per node; leave nodes empty for plugin-type database',
    );
  }
  return nodes;
}

export function readSafety(
  inputs: InputSource,
  pluginType: PluginType,
  namespaces: readonly string[],
): SafetyOptions {
  const probe = inputs.get('probe').replace(/^\/+/, '');
  if (probe && (/\s/.test(probe) || probe.split('/').some((s) => s === '..' || s === '.'))) {
    throw new ConfigError(
      `probe: "${probe}" is not a path under the mount, such as info or config`,
    );
  }
  if (probe && pluginType === 'database') {
    throw new ConfigError(
      'probe: not available for database plugins; a connection is proven by its restart',
    );
  }
  const keep = inputs.get('keep-versions');
  const named = namespaces.filter(Boolean).join(', ');
  if (keep && named) {
    throw new ConfigError(
      `keep-versions: the plugin catalog is shared by every namespace, but a run in namespace ${named} sees only ${namespaces.length > 1 ? "each one's own" : "that namespace's"} mounts; prune from a run without a namespace`,
    );
  }
  return {
    dryRun: booleanInput('dry-run', inputs.get('dry-run'), false),
    rollbackOnFailure: booleanInput('rollback-on-failure', inputs.get('rollback-on-failure'), true),
    probe,
    canary: pathList('canary', inputs.get('canary'), pluginType, false),
    batchSize: wholeNumber('batch-size', inputs.get('batch-size') || '0', 0, 10000),
    exclude: pathList('exclude', inputs.get('exclude'), pluginType, false),
    concurrency: wholeNumber('concurrency', inputs.get('concurrency') || '8', 1, 64),
    movePin: booleanInput('pin', inputs.get('pin'), false),
    keepVersions: keep ? wholeNumber('keep-versions', keep, 1, 1000) : null,
    revertToBuiltin: booleanInput('revert-to-builtin', inputs.get('revert-to-builtin'), false),
    nodes: nodeList(inputs.get('nodes'), pluginType),
  };
}
