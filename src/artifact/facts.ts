// What a fetched artifact is known to be, and what fetching one needs from the run.
import type { ArchiveFormat } from './archives/members.ts';
import type { ArtifactOrigin } from './locate.ts';
import type { UnpackContext } from './take-binary.ts';
import type { AttestationVerdict } from './trust/attestation.ts';
import type { ChecksumVerdict } from './trust/checksums.ts';
import type { SignatureVerdict } from './trust/signature.ts';

export interface ArtifactFacts {
  origin: ArtifactOrigin;
  asset: string;
  format: ArchiveFormat | 'oci image';
  /** For an image, the digest (hex) its reference resolves to. */
  assetSha256: string;
  /** The binary's path inside the archive, or the asset name for a raw binary. */
  binaryName: string;
  binaryPath: string;
  sha256: string;
  checksums: ChecksumVerdict | null;
  signature: SignatureVerdict | null;
  /** The build provenance check; null when `attestation` is not set. */
  attestation: AttestationVerdict | null;
  /** The `sha256` input was given and matched. */
  pinned: boolean;
  /** Taken from the tool cache instead of downloaded. */
  cached: boolean;
  /** Something vouched for the binary; false only when `allow-unverified` let it through. */
  verified: boolean;
}

export interface FetchContext extends UnpackContext {
  version: string;
  workspace: string;
  /** RUNNER_TOOL_CACHE, which @actions/tool-cache reads for itself; empty disables caching. */
  toolCache: string;
  /** GITHUB_API_URL, for attestations of assets not taken from a release. */
  githubApiUrl: string;
  /** Masks a secret learned on the way, such as a registry's token. */
  mask: (secret: string) => void;
}
