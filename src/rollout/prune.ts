import { compareVersions } from '../domain/version.ts';
import type { CatalogVersion } from '../vault/catalog.ts';

export interface PruneInput {
  versions: readonly CatalogVersion[];
  /** Versions some mount or connection will run once the rollout is done. */
  inUse: ReadonlySet<string>;
  /** How many of the newest external versions to keep whatever else holds. */
  keep: number;
  /** Versions never removed: the target, the pin. */
  protect: readonly string[];
}

/** External versions nothing runs or needs, oldest first; builtins are never candidates. */
export function prunableVersions(input: PruneInput): string[] {
  const external = input.versions
    .filter((v) => !v.builtin)
    .map((v) => v.version)
    .sort(compareVersions);
  const newest = new Set(input.keep > 0 ? external.slice(-input.keep) : []);
  return external.filter(
    (version) =>
      !newest.has(version) && !input.inUse.has(version) && !input.protect.includes(version),
  );
}
