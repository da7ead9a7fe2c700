import { ArtifactError } from '../../domain/errors.ts';
import type { SignerPolicy } from '../../inputs/trust.ts';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
export const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** The identity a verified signing certificate carries. */
export interface CertificateIdentity {
  subjectAlternativeName: string;
  issuer: string;
}

/** An in-toto statement about some artifacts. */
export interface Statement {
  predicateType: string;
  subjects: { name: string; sha256: string }[];
}

/** `https://github.com/<workflow>@<ref>` split into its parts; null for any other identity. */
export function workflowOf(
  subjectAlternativeName: string,
): { workflow: string; ref: string } | null {
  const match = /^https:\/\/[^/]+\/([^@]+)@(.+)$/.exec(subjectAlternativeName);
  if (!match?.[1] || !match[2]) return null;
  return { workflow: match[1], ref: match[2] };
}

function refMatches(expected: string, actual: string): boolean {
  if (!expected) return true;
  return expected.endsWith('*') ? actual.startsWith(expected.slice(0, -1)) : actual === expected;
}

/** Throws unless the certificate names the expected workflow, issued by GitHub Actions. */
export function checkSigner(policy: SignerPolicy, identity: CertificateIdentity): void {
  if (identity.issuer !== GITHUB_ACTIONS_ISSUER) {
    throw new ArtifactError(
      `attestation-signer: the attestation was signed with an identity from ${identity.issuer || 'no issuer'}, not GitHub Actions (${GITHUB_ACTIONS_ISSUER})`,
    );
  }
  const actual = workflowOf(identity.subjectAlternativeName);
  const expected = `${policy.workflow}${policy.ref ? `@${policy.ref}` : ''}`;
  if (
    !actual ||
    actual.workflow.toLowerCase() !== policy.workflow.toLowerCase() ||
    !refMatches(policy.ref, actual.ref)
  ) {
    const shown = actual
      ? `${actual.workflow}@${actual.ref}`
      : identity.subjectAlternativeName || 'no workflow';
    throw new ArtifactError(
      `attestation-signer: the attestation was signed by ${shown}, not by ${expected}`,
    );
  }
}

/** Reads a DSSE payload as an in-toto statement; throws on anything else. */
export function parseStatement(payloadType: string, payload: Buffer): Statement {
  if (payloadType !== IN_TOTO_PAYLOAD) {
    throw new ArtifactError(
      `attestation: the envelope holds ${payloadType || 'no payload type'}, not an in-toto statement (${IN_TOTO_PAYLOAD})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ArtifactError('attestation: the in-toto statement is not JSON');
  }
  const statement = parsed as {
    predicateType?: unknown;
    subject?: { name?: unknown; digest?: { sha256?: unknown } }[];
  };
  if (typeof statement.predicateType !== 'string' || !Array.isArray(statement.subject)) {
    throw new ArtifactError('attestation: the in-toto statement has no predicateType or subject');
  }
  return {
    predicateType: statement.predicateType,
    subjects: statement.subject.map((s) => ({
      name: typeof s.name === 'string' ? s.name : '',
      sha256: typeof s.digest?.sha256 === 'string' ? s.digest.sha256.toLowerCase() : '',
    })),
  };
}

/** Throws unless the statement is build provenance for exactly this asset. */
export function checkSubject(statement: Statement, asset: string, sha256: string): void {
  if (statement.subjects.some((s) => s.sha256 === sha256)) return;
  const named = statement.subjects.map((s) => `${s.name || '?'} sha256 ${s.sha256 || '?'}`);
  throw new ArtifactError(
    `attestation: the provenance is about ${named.join(', ') || 'no subject'}, not ${asset} (sha256 ${sha256})`,
  );
}
