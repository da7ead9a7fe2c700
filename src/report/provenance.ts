import type { ArtifactFacts } from '../artifact/fetch.ts';
import type { RunReport } from './model.ts';
import { hclString, shellWord } from './quote.ts';
import { displayUrl } from './redact.ts';

export interface Registration {
  pluginType: string;
  pluginName: string;
  version: string;
  command: string;
  sha256: string;
}

/** For users who deliver the binary another way and register it themselves. */
export function registerCommand(r: Registration): string {
  const words = [
    `-sha256=${r.sha256}`,
    `-command=${r.command}`,
    `-version=${r.version}`,
    r.pluginType,
    r.pluginName,
  ];
  return `vault plugin register ${words.map(shellWord).join(' ')}`;
}

/** OpenBao's declarative `plugin` block for a binary already in the plugin directory. */
export function openBaoPluginBlock(r: Registration): string {
  return [
    `plugin ${hclString(r.pluginType)} ${hclString(r.pluginName)} {`,
    `  command     = ${hclString(r.command)}`,
    `  version     = ${hclString(r.version)}`,
    `  binary_name = ${hclString(r.command)}`,
    `  sha256sum   = ${hclString(r.sha256)}`,
    '}',
  ].join('\n');
}

/** Where the binary came from and what vouched for it, as the `provenance` output. */
export function provenanceRecord(a: ArtifactFacts): Record<string, unknown> {
  return {
    source: a.origin.kind,
    repository: a.origin.kind === 'release' ? a.origin.repository : '',
    tag: a.origin.kind === 'release' ? a.origin.tag : '',
    url: a.origin.kind === 'url' ? displayUrl(a.origin.url) : '',
    path: a.origin.kind === 'file' ? a.origin.path : '',
    asset: a.asset,
    format: a.format,
    asset_sha256: a.assetSha256,
    binary: a.binaryName,
    sha256: a.sha256,
    checksums_file: a.checksums?.file ?? '',
    checksums_cover: a.checksums?.covers ?? [],
    signature: a.signature?.file ?? '',
    signing_key: a.signature?.fingerprint ?? '',
    attestation: a.attestation?.status ?? '',
    attestation_signer: a.attestation?.status === 'verified' ? a.attestation.signer : '',
    sha256_input_matched: a.pinned,
    cached: a.cached,
    verified: a.verified,
  };
}

/** What to register, once the binary is known; the plan's command when there is one. */
export function registrationOf(report: RunReport): Registration | null {
  if (!report.artifact || !report.version) return null;
  return {
    pluginType: report.pluginType,
    pluginName: report.pluginName,
    version: report.version,
    command: report.plan?.command ?? `${report.pluginName}-${report.version}`,
    sha256: report.artifact.sha256,
  };
}
