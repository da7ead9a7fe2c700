import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { ArtifactError } from '../../domain/errors.ts';
import type { CertificateIdentity } from './attestation-policy.ts';

/** A bundle whose signature, certificate chain and log entries check out against a trusted root. */
export interface VerifiedBundle {
  identity: CertificateIdentity;
  payloadType: string;
  payload: Buffer;
}

/**
 * The trusted roots in a trusted_root.json, or in a trusted_root.jsonl with
 * one root per line (as `gh attestation trusted-root` writes, covering
 * Sigstore's public-good instance and GitHub's own).
 */
export function parseTrustedRoots(text: string, file: string): TrustedRoot[] {
  const trimmed = text.trim();
  const documents = trimmed.startsWith('[')
    ? (JSON.parse(trimmed) as unknown[])
    : trimmed.includes('\n')
      ? trimmed.split('\n').filter((line) => line.trim())
      : [trimmed];
  try {
    const roots = documents.map((d) =>
      TrustedRoot.fromJSON(typeof d === 'string' ? JSON.parse(d) : d),
    );
    if (roots.length === 0 || roots.some((r) => r.certificateAuthorities.length === 0)) {
      throw new Error('a root names no certificate authority');
    }
    return roots;
  } catch (error) {
    throw new ArtifactError(
      `attestation-trusted-root: ${file} is not a Sigstore trusted root (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/**
 * Verifies one bundle against the first trusted root that accepts it. A root
 * is held to what it can vouch for: with transparency logs, the bundle needs
 * a log entry proven included; with certificate transparency logs, the
 * certificate needs an SCT; always at least one verified timestamp.
 */
export function verifyBundle(json: unknown, roots: readonly TrustedRoot[]): VerifiedBundle {
  let bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    throw new ArtifactError(
      `attestation: not a valid Sigstore bundle (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new ArtifactError('attestation: the bundle signs a message, not an in-toto statement');
  }
  const entity = toSignedEntity(bundle);
  const failures: string[] = [];
  for (const root of roots) {
    const verifier = new Verifier(toTrustMaterial(root), {
      tlogThreshold: root.tlogs.length > 0 ? 1 : 0,
      ctlogThreshold: root.ctlogs.length > 0 ? 1 : 0,
      timestampThreshold: 1,
    });
    try {
      const signer = verifier.verify(entity);
      const envelope = bundle.content.dsseEnvelope;
      return {
        identity: {
          subjectAlternativeName: signer.identity?.subjectAlternativeName ?? '',
          issuer: signer.identity?.extensions?.issuer ?? '',
        },
        payloadType: envelope.payloadType,
        payload: Buffer.from(envelope.payload),
      };
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new ArtifactError(
    `attestation: the bundle does not verify against attestation-trusted-root (${[...new Set(failures)].join('; ')})`,
  );
}
