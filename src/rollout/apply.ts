import { placePluginFile } from '../artifact/place.ts';
import { registerPlugin } from '../vault/catalog.ts';
import type { VaultClient } from '../vault/client.ts';
import { tuneMountVersion } from '../vault/mounts.ts';
import { reloadMounts } from '../vault/reload.ts';
import type { Plan } from './plan.ts';

/** What has been written so far; filled in as writes succeed, so a failure still tells the truth. */
export interface ApplyRecord {
  placedFile: string;
  registered: boolean;
  tuned: string[];
  reloaded: string[];
  reloadId: string;
}

export interface ApplyDeps {
  client: VaultClient;
  plan: Plan;
  binaryPath: string;
  pluginDirectory: string;
  reloadScope: 'global' | 'local';
  log: (line: string) => void;
}

export function emptyRecord(): ApplyRecord {
  return { placedFile: '', registered: false, tuned: [], reloaded: [], reloadId: '' };
}

export function wroteAnything(record: ApplyRecord): boolean {
  return (
    record.placedFile !== '' ||
    record.registered ||
    record.tuned.length > 0 ||
    record.reloaded.length > 0
  );
}

export async function applyPlan(deps: ApplyDeps, record: ApplyRecord): Promise<void> {
  const { client, plan, log } = deps;
  if (plan.pluginFile === 'copy') {
    record.placedFile = await placePluginFile(deps.binaryPath, deps.pluginDirectory, plan.command);
    log(`placed ${record.placedFile}`);
  }
  if (plan.catalog === 'register') {
    await registerPlugin(client, {
      type: plan.pluginType,
      name: plan.pluginName,
      version: plan.version,
      sha256: plan.sha256,
      command: plan.command,
    });
    record.registered = true;
    log(
      `registered ${plan.pluginType} plugin ${plan.pluginName} ${plan.version} (command ${plan.command})`,
    );
  } else {
    log(
      `${plan.pluginName} ${plan.version} is already in the catalog with this sha256; not registering again`,
    );
  }
  for (const step of plan.mounts) {
    if (step.action !== 'tune') continue;
    await tuneMountVersion(client, plan.pluginType, step.path, plan.version);
    record.tuned.push(step.path);
    log(`tuned ${step.path}: ${step.from || '(unversioned)'} → ${plan.version}`);
  }
  if (plan.reload.length > 0) {
    const outcome = await reloadMounts(client, plan.reload, deps.reloadScope);
    record.reloaded = [...plan.reload];
    record.reloadId = outcome.reloadId;
    log(
      `reloaded ${plan.reload.join(', ')} (scope ${deps.reloadScope}${outcome.reloadId ? `, reload id ${outcome.reloadId}` : ''})`,
    );
  }
}
