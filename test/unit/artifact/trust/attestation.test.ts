import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkSigner,
  checkSubject,
  GITHUB_ACTIONS_ISSUER,
  parseStatement,
} from '../../../../src/artifact/trust/attestation-policy.ts';
import {
  parseTrustedRoots,
  verifyBundle,
} from '../../../../src/artifact/trust/attestation-verify.ts';
import { readTrustPolicy } from '../../../../src/inputs/trust.ts';
import { makeSigstore, type Sigstore } from '../../../../lab/sigstore.ts';

const WORKFLOW = 'acme/acme-secrets/.github/workflows/release.yml';
const SUBJECT = { name: 'acme_1.0.1_linux_amd64.zip', sha256: 'a1'.repeat(32) };

function trust(values: Record<string, string>): ReturnType<typeof readTrustPolicy> {
  return readTrustPolicy({ get: (name) => values[name] ?? '' });
}

describe('attestation inputs', () => {
  it('reads the signer workflow and an optional ref pattern', () => {
    expect(
      trust({
        attestation: 'Required',
        'attestation-signer': `${WORKFLOW}@refs/tags/*`,
        'attestation-trusted-root': '/tmp/trusted_root.jsonl',
      }),
    ).toMatchObject({
      attestation: 'required',
      attestationSigner: { workflow: WORKFLOW, ref: 'refs/tags/*' },
      attestationTrustedRoot: '/tmp/trusted_root.jsonl',
    });
    expect(trust({}).attestation).toBe('off');
  });

  it.each([
    [{ attestation: 'yes' }, 'attestation: "yes" is not required or optional'],
    [
      { attestation: 'optional', 'attestation-trusted-root': 'x' },
      'attestation-signer: required with attestation; give the workflow that signs the release',
    ],
    [
      {
        attestation: 'optional',
        'attestation-signer': 'acme/acme-secrets',
        'attestation-trusted-root': 'x',
      },
      'attestation-signer: "acme/acme-secrets" is not a workflow',
    ],
    [
      { attestation: 'required', 'attestation-signer': WORKFLOW },
      'attestation-trusted-root: required with attestation',
    ],
    [{ 'attestation-signer': WORKFLOW }, 'attestation-signer: given, but attestation is not set'],
  ])('refuses %j', (values, message) => {
    expect(() => trust(values)).toThrow(message);
  });
});

describe('the signer policy', () => {
  const identity = (ref: string, issuer = GITHUB_ACTIONS_ISSUER) => ({
    subjectAlternativeName: `https://github.com/${WORKFLOW}@${ref}`,
    issuer,
  });

  it('accepts the workflow at any ref, an exact ref, or a ref prefix', () => {
    expect(() =>
      checkSigner({ workflow: WORKFLOW, ref: '' }, identity('refs/heads/main')),
    ).not.toThrow();
    expect(() =>
      checkSigner({ workflow: WORKFLOW, ref: 'refs/tags/v1.0.1' }, identity('refs/tags/v1.0.1')),
    ).not.toThrow();
    expect(() =>
      checkSigner({ workflow: WORKFLOW, ref: 'refs/tags/*' }, identity('refs/tags/v2.0.0')),
    ).not.toThrow();
  });

  it('names expected and actual signer when they differ', () => {
    expect(() =>
      checkSigner({ workflow: WORKFLOW, ref: 'refs/tags/*' }, identity('refs/heads/main')),
    ).toThrow(
      `attestation-signer: the attestation was signed by ${WORKFLOW}@refs/heads/main, not by ${WORKFLOW}@refs/tags/*`,
    );
    expect(() =>
      checkSigner(
        { workflow: 'acme/other/.github/workflows/release.yml', ref: '' },
        identity('refs/tags/v1'),
      ),
    ).toThrow(
      `signed by ${WORKFLOW}@refs/tags/v1, not by acme/other/.github/workflows/release.yml`,
    );
  });

  it('refuses a certificate issued for anything but GitHub Actions', () => {
    expect(() =>
      checkSigner(
        { workflow: WORKFLOW, ref: '' },
        identity('refs/tags/v1', 'https://accounts.google.com'),
      ),
    ).toThrow('identity from https://accounts.google.com, not GitHub Actions');
  });
});

describe('bundles made by a local Fulcio and Rekor', () => {
  let sigstore: Sigstore;
  let other: Sigstore;
  let roots: ReturnType<typeof parseTrustedRoots>;

  beforeAll(async () => {
    [sigstore, other] = await Promise.all([makeSigstore(), makeSigstore()]);
    // One root per line, as gh attestation trusted-root writes them.
    const jsonl = [
      await readFile(other.trustedRootFile, 'utf8'),
      await readFile(sigstore.trustedRootFile, 'utf8'),
    ].join('\n');
    roots = parseTrustedRoots(jsonl, 'trusted_root.jsonl');
  }, 30_000);

  afterAll(async () => {
    await Promise.all([sigstore.remove(), other.remove()]);
  });

  it('verifies against the root that holds its authority, and yields the statement', async () => {
    const bundle = await sigstore.attest(SUBJECT, { workflow: WORKFLOW, ref: 'refs/tags/v1.0.1' });

    const verified = verifyBundle(bundle, roots);

    expect(verified.identity).toEqual({
      subjectAlternativeName: `https://github.com/${WORKFLOW}@refs/tags/v1.0.1`,
      issuer: GITHUB_ACTIONS_ISSUER,
    });
    const statement = parseStatement(verified.payloadType, verified.payload);
    expect(statement).toEqual({
      predicateType: 'https://slsa.dev/provenance/v1',
      subjects: [SUBJECT],
    });
    expect(() => checkSubject(statement, SUBJECT.name, SUBJECT.sha256)).not.toThrow();
    expect(() => checkSubject(statement, SUBJECT.name, 'b2'.repeat(32))).toThrow(
      `attestation: the provenance is about ${SUBJECT.name} sha256 ${SUBJECT.sha256}, not ${SUBJECT.name} (sha256 ${'b2'.repeat(32)})`,
    );
  });

  it('refuses a statement changed after signing', async () => {
    const bundle = (await sigstore.attest(SUBJECT, {
      workflow: WORKFLOW,
      ref: 'refs/tags/v1.0.1',
    })) as {
      dsseEnvelope: { payload: string };
    };
    const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8');
    bundle.dsseEnvelope.payload = Buffer.from(
      statement.replace(SUBJECT.sha256, 'c3'.repeat(32)),
    ).toString('base64');

    expect(() => verifyBundle(bundle, roots)).toThrow(
      'attestation: the bundle does not verify against attestation-trusted-root',
    );
  });

  it('refuses what is not a Sigstore bundle, and a file that is not a trusted root', () => {
    expect(() => verifyBundle({ mediaType: 'text/plain' }, roots)).toThrow(
      'attestation: not a valid Sigstore bundle',
    );
    expect(() => parseTrustedRoots('{"tlogs": []}', 'root.json')).toThrow(
      'attestation-trusted-root: root.json is not a Sigstore trusted root',
    );
  });
});
