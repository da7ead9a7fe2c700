// The two releases every rollout turn moves between, and the check that a turn really moved the mounts.
import { sha256File } from '../src/artifact/hash.ts';
import { fixtureBinary, type FixtureFlavor, type ServerKind } from '../lab/paths.ts';
import type { ReleaseServer } from '../lab/release-server.ts';
import { pluginRelease } from '../lab/releases.ts';
import type { LabServer } from '../lab/server.ts';
import { PLUGIN, type Mounts, type Release } from './procedures.ts';

export const VERSIONS = ['v1.0.0', 'v1.0.1'] as const;

/** Both versions as zip releases with SHA256SUMS, as the action and the expert script download them. */
export async function publish(
  github: ReleaseServer,
  kind: ServerKind,
  flavor: FixtureFlavor,
): Promise<Release[]> {
  const releases: Release[] = [];
  for (const version of VERSIONS) {
    github.publish(
      pluginRelease({
        server: kind,
        name: PLUGIN,
        kind: 'secrets',
        version,
        flavor,
        format: 'zip',
      }),
    );
    const bare = version.slice(1);
    releases.push({
      version,
      sha256: await sha256File(fixtureBinary(kind, 'secrets', version, flavor)),
      assetUrl: github.fileUrl(`${PLUGIN}_${bare}_linux_amd64.zip`),
      sumsUrl: github.fileUrl(`${PLUGIN}_${bare}_SHA256SUMS`),
    });
  }
  return releases;
}

/** The root API of the server, with paths inside a namespace (`''`: the root namespace). */
export function inNamespace(server: LabServer, namespace: string): Pick<LabServer, 'api'> {
  return {
    api: (method, path, body) =>
      server.api(method, namespace ? `${namespace}/${path}` : path, body),
  };
}

/** Every procedure must have done the job, or its time means nothing. */
export async function expectRunning(mounts: Mounts, release: Release): Promise<void> {
  for (const namespace of mounts.namespaces) {
    const table = await inNamespace(mounts.server, namespace).api<{
      data: Record<string, { running_plugin_version?: string; running_sha256?: string }>;
    }>('GET', 'sys/mounts');
    const stale = mounts.paths.filter((path) => {
      const mount = table?.data[`${path}/`];
      return (
        mount?.running_plugin_version !== release.version || mount.running_sha256 !== release.sha256
      );
    });
    if (stale.length > 0) {
      throw new Error(
        `${stale.length} mounts${namespace ? ` in ${namespace}` : ''} do not run ${release.version} after the rollout (${stale.slice(0, 5).join(', ')}…)`,
      );
    }
  }
}
