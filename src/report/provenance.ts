import type { ArtifactFacts } from '../artifact/facts.ts';
import { imageRecord } from './image-provenance.ts';
import { displayUrl } from './redact.ts';

/** Where the binary came from and what vouched for it, as the `provenance` output. */
export function provenanceRecord(a: ArtifactFacts): Record<string, unknown> {
  return {
    source: a.origin.kind,
    repository: a.origin.kind === 'release' ? a.origin.repository : '',
    tag: a.origin.kind === 'release' ? a.origin.tag : '',
    url: a.origin.kind === 'url' ? displayUrl(a.origin.url) : '',
    path: a.origin.kind === 'file' ? a.origin.path : '',
    ...imageRecord(a.origin),
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
