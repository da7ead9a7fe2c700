import { readFileSync } from 'node:fs';
import { makeTarGz, makeZip, sha256sums } from './archives.ts';
import { fixtureBinary, type FixtureKind } from './paths.ts';
import type { ReleaseAsset, ReleaseSpec } from './release-server.ts';

export type ReleaseFormat = 'zip' | 'tar.gz' | 'raw';

export interface PluginReleaseOptions {
  owner?: string;
  repo?: string;
  /** Asset prefix and binary name, e.g. acme. */
  name: string;
  kind: FixtureKind;
  version: string;
  flavor?: string;
  format: ReleaseFormat;
  /** Publish a `<name>_<version>_SHA256SUMS` covering the assets (default true). */
  sums?: boolean;
}

/**
 * A release laid out as plugin authors publish them: HashiCorp-style
 * `<name>_<version>_linux_amd64.zip`, OpenBao-style `.tar.gz`, or a raw
 * `<name>_<version>_linux_amd64` binary, with a SHA256SUMS file over the assets.
 */
export function pluginRelease(options: PluginReleaseOptions): ReleaseSpec {
  const bare = options.version.replace(/^v/, '');
  const binary = readFileSync(fixtureBinary(options.kind, options.version, options.flavor));
  const stem = `${options.name}_${bare}_linux_amd64`;
  const members = [
    { name: options.name, data: binary, mode: 0o755 },
    { name: 'LICENSE', data: Buffer.from('MIT\n'), mode: 0o644 },
  ];
  const asset: ReleaseAsset =
    options.format === 'zip'
      ? { name: `${stem}.zip`, data: makeZip(members) }
      : options.format === 'tar.gz'
        ? { name: `${stem}.tar.gz`, data: makeTarGz(members) }
        : { name: stem, data: binary };
  const assets = [asset];
  if (options.sums ?? true) {
    assets.push({ name: `${options.name}_${bare}_SHA256SUMS`, data: sha256sums([asset]) });
  }
  return {
    owner: options.owner ?? 'acme',
    repo: options.repo ?? 'acme-plugin',
    tag: options.version,
    assets,
  };
}

/** The asset-name template matching `pluginRelease`. */
export function assetTemplate(name: string, format: ReleaseFormat): string {
  return `${name}_{version}_{os}_{arch}${format === 'raw' ? '' : `.${format}`}`;
}
