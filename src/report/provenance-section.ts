// Where the run's facts came from: the server that answered, and the artifact
// with every check it passed, for the job summary.
import { code, details, escapeText, fence, link } from './markdown.ts';
import type { RunReport } from '../rollout/run-report.ts';
import { imageLines, openBaoImageBlock } from './image-provenance.ts';
import { openBaoPluginBlock, registerCommand, registrationOf } from './registration.ts';
import { displayUrl } from './redact.ts';

/** The server the run talked to and how it logged in. */
export function serverSection(report: RunReport): string {
  if (!report.serverIdentity && !report.login) return '';
  const lines = ['### Server'];
  if (report.serverIdentity) lines.push(`- ${escapeText(report.serverIdentity)}`);
  if (report.login) lines.push(`- Login: ${escapeText(report.login)}`);
  return lines.join('\n');
}

/** The artifact: where it came from, its hashes, what vouched for it, and how to register it by hand. */
export function artifactSection(report: RunReport): string {
  const a = report.artifact;
  if (!a) return '';
  const lines = ['### Artifact'];
  if (a.origin.kind === 'release') {
    const pre = a.origin.prerelease ? ' (pre-release)' : '';
    lines.push(
      `- Release: ${link(`${a.origin.repository}@${a.origin.tag}`, a.origin.htmlUrl)}${pre}, asset ${code(a.asset)} (${a.format})`,
    );
  } else if (a.origin.kind === 'oci') {
    lines.push(...imageLines(a.origin, a.asset));
  } else if (a.origin.kind === 'url') {
    lines.push(`- Downloaded from ${code(displayUrl(a.origin.url))} (${a.format})`);
  } else {
    lines.push(`- Local file ${code(a.origin.path)} (${a.format})`);
  }
  const image = a.origin.kind === 'oci';
  if (a.format !== 'raw' && !image) lines.push(`- Asset SHA-256: ${code(a.assetSha256)}`);
  lines.push(`- Binary ${code(a.binaryName)} SHA-256: ${code(a.sha256)}`);
  if (!image) {
    lines.push(
      a.checksums
        ? `- Checksums: ${code(a.checksums.file)} confirms the ${a.checksums.covers.join(' and ')}`
        : `- Checksums: none ${a.origin.kind === 'release' ? 'published with the release' : 'given'}`,
    );
  }
  if (a.signature) {
    lines.push(
      `- Signature: ${code(a.signature.file)}, good, by key ${code(a.signature.fingerprint)}`,
    );
  }
  if (a.attestation?.status === 'verified') {
    lines.push(
      `- Attestation: build provenance (${code(a.attestation.predicateType)}) verified, signed by ${code(a.attestation.signer)}`,
    );
  } else if (a.attestation) {
    lines.push(
      `- Attestation: none published in ${escapeText(a.attestation.repository)} (optional, not required)`,
    );
  }
  if (a.pinned) lines.push('- The `sha256` input matches the binary');
  if (a.cached)
    lines.push('- Taken from the runner’s tool cache, verified earlier; not downloaded again');
  if (!a.verified) {
    lines.push(
      '- **Unverified**: nothing vouched for this binary; `allow-unverified` let it through',
    );
  }
  if (report.plan) {
    lines.push(`- Catalog: ${catalogState(report)}, command ${code(report.plan.command)}`);
  }
  const registration = registrationOf(report);
  // After the rollout stage failed, the binary may be what failed: no invitation to register it.
  const failedHere = report.error?.stage === 'rollout' || report.error?.stage === 'rollback';
  if (registration && !failedHere) {
    lines.push(
      '',
      details(
        'Register it yourself',
        `Vault or OpenBao CLI:\n\n${fence('sh', registerCommand(registration))}\n\n${
          a.origin.kind === 'oci'
            ? `OpenBao server configuration, for OpenBao 2.5 or later to pull the image itself:\n\n${fence('hcl', openBaoImageBlock(registration, a.origin, a.binaryName))}`
            : `OpenBao server configuration:\n\n${fence('hcl', openBaoPluginBlock(registration))}`
        }`,
      ),
    );
  }
  return lines.join('\n');
}

/** What the catalog holds for this version after the run, and who put it there. */
function catalogState(report: RunReport): string {
  if (report.record.registered) return 'registered by this run';
  if (report.plan?.catalog === 'present') return 'already registered with this SHA-256';
  return report.dryRun
    ? 'not registered; a run without dry-run registers it'
    : 'not registered; the run stopped before registering it';
}
