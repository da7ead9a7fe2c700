// Releases made from the fixture plugins, laid out as plugin authors publish them.
import { readFileSync } from 'node:fs';
import { makeTarGz, makeZip, sha256sums } from './archives.ts';
import { fixtureBinary, type FixtureFlavor, type FixtureKind, type ServerKind } from './paths.ts';
import type { ReleaseAsset, ReleaseSpec } from './release-server.ts';

export type ReleaseFormat = 'zip' | 'tar.gz' | 'raw';

export interface PluginReleaseOptions {
  /** The server whose SDK the released binary is built on. */
  server: ServerKind;
  owner?: string;
  repo?: string;
  /** Asset prefix and binary name, e.g. acme. */
  name: string;
  kind: FixtureKind;
  version: string;
  /** Another build of the version: re-published bytes, or the multiplexed server. */
  flavor?: FixtureFlavor;
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
  const binary = readFileSync(
    fixtureBinary(options.server, options.kind, options.version, options.flavor),
  );
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

export type Layout = 'hashicorp' | 'openbao' | 'raw-sums' | 'binary-sums' | 'no-sums';

/**
 * The release layouts plugin authors publish, each with the fixture binary:
 * - hashicorp: `<name>_<ver>_linux_amd64.zip` + `<name>_<ver>_SHA256SUMS` (+ `.sig` when a signer is given);
 * - openbao: `<name>_<ver>_linux_amd64.tar.gz` + `checksums-linux.txt`;
 * - raw-sums: `<name>-linux-amd64` raw binaries for two platforms + `SHA256SUMS`;
 * - binary-sums: a zip + `checksums.txt` listing the binary inside, not the archive;
 * - no-sums: a zip alone.
 */
export function layoutRelease(options: {
  server: ServerKind;
  repo: string;
  name: string;
  version: string;
  layout: Layout;
  sign?: (data: Buffer) => Buffer;
}): ReleaseSpec {
  const bare = options.version.replace(/^v/, '');
  const binary = readFileSync(fixtureBinary(options.server, 'secrets', options.version));
  const members = [
    { name: options.name, data: binary, mode: 0o755 },
    { name: 'LICENSE', data: Buffer.from('MIT\n'), mode: 0o644 },
  ];
  const stem = `${options.name}_${bare}_linux_amd64`;
  const assets: ReleaseAsset[] = [];
  switch (options.layout) {
    case 'hashicorp': {
      const zip = { name: `${stem}.zip`, data: makeZip(members) };
      const sums = { name: `${options.name}_${bare}_SHA256SUMS`, data: sha256sums([zip]) };
      assets.push(zip, sums);
      if (options.sign) assets.push({ name: `${sums.name}.sig`, data: options.sign(sums.data) });
      break;
    }
    case 'openbao': {
      const tgz = { name: `${stem}.tar.gz`, data: makeTarGz(members) };
      assets.push(tgz, { name: 'checksums-linux.txt', data: sha256sums([tgz]) });
      break;
    }
    case 'raw-sums': {
      const amd64 = { name: `${options.name}-linux-amd64`, data: binary };
      const arm64 = { name: `${options.name}-linux-arm64`, data: withElfMachine(binary, 183) };
      assets.push(amd64, arm64, { name: 'SHA256SUMS', data: sha256sums([amd64, arm64]) });
      break;
    }
    case 'binary-sums': {
      assets.push(
        { name: `${stem}.zip`, data: makeZip(members) },
        { name: 'checksums.txt', data: sha256sums([{ name: options.name, data: binary }]) },
      );
      break;
    }
    case 'no-sums':
      assets.push({ name: `${stem}.zip`, data: makeZip(members) });
      break;
  }
  return { owner: 'acme', repo: options.repo, tag: options.version, assets };
}

/** The same ELF binary relabelled for another machine (62 = x86-64, 183 = aarch64). */
export function withElfMachine(binary: Buffer, machine: number): Buffer {
  const copy = Buffer.from(binary);
  copy.writeUInt16LE(machine, 18);
  return copy;
}

/** The inputs that roll the lab's `acme` zip release out to a lab server, placing the binary in its plugin directory. */
export function acmeRolloutInputs(
  server: { address: string; token: string; pluginDir: string },
  githubToken: string,
): Record<string, string> {
  return {
    url: server.address,
    token: server.token,
    'github-token': githubToken,
    'plugin-name': 'acme',
    artifact: assetTemplate('acme', 'zip'),
    'plugin-directory': server.pluginDir,
  };
}
