import { readFile } from 'node:fs/promises';
import { ArtifactError } from '../../domain/errors.ts';
import type { TrustPolicy } from '../../inputs/trust.ts';
import {
  checkSigner,
  checkSubject,
  parseStatement,
  SLSA_PROVENANCE_V1,
} from './attestation-policy.ts';
import type { GitHubAccess } from '../../github/api.ts';
import { listAttestationBundles } from '../../github/attestations.ts';

/** The build provenance that vouched for the asset, or none where it was optional. */
export type AttestationVerdict =
  | {
      status: 'verified';
      /** The signing workflow as its certificate names it: https://github.com/<workflow>@<ref>. */
      signer: string;
      predicateType: string;
      repository: string;
    }
  | { status: 'absent'; repository: string };

export interface AttestationQuery extends GitHubAccess {
  /** owner/repo whose attestation store is asked. */
  repository: string;
  asset: string;
  assetSha256: string;
  log: (line: string) => void;
}

/**
 * Asks GitHub for the asset's attestations and accepts the first build
 * provenance that verifies and was signed by the expected workflow. The
 * Sigstore verifier is loaded only here, so runs without `attestation` do not
 * pay for it.
 */
export async function checkAttestation(
  trust: TrustPolicy,
  query: AttestationQuery,
): Promise<AttestationVerdict | null> {
  if (trust.attestation === 'off' || !trust.attestationSigner) return null;
  const bundles = await listAttestationBundles(query);
  const { parseTrustedRoots, verifyBundle } = await import('./attestation-verify.ts');
  const roots = parseTrustedRoots(
    await readTrustedRoot(trust.attestationTrustedRoot),
    trust.attestationTrustedRoot,
  );
  let firstFailure: Error | null = null;
  for (const bundle of bundles) {
    try {
      const verified = verifyBundle(bundle, roots);
      const statement = parseStatement(verified.payloadType, verified.payload);
      if (statement.predicateType !== SLSA_PROVENANCE_V1) continue;
      checkSubject(statement, query.asset, query.assetSha256);
      checkSigner(trust.attestationSigner, verified.identity);
      query.log(
        `attestation: build provenance for ${query.asset} verified, signed by ${verified.identity.subjectAlternativeName}`,
      );
      return {
        status: 'verified',
        signer: verified.identity.subjectAlternativeName,
        predicateType: statement.predicateType,
        repository: query.repository,
      };
    } catch (error) {
      firstFailure ??= error instanceof Error ? error : new ArtifactError(String(error));
    }
  }
  if (firstFailure) throw firstFailure;
  if (trust.attestation === 'required') {
    throw new ArtifactError(
      `attestation: required, but ${query.repository} has no build provenance attestation for ${query.asset} (sha256 ${query.assetSha256})`,
    );
  }
  query.log(
    `attestation: ${query.repository} has no build provenance attestation for ${query.asset}; continuing, as attestation is optional`,
  );
  return { status: 'absent', repository: query.repository };
}

async function readTrustedRoot(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ArtifactError(`attestation-trusted-root: cannot read "${path}" (${reason})`);
  }
}
