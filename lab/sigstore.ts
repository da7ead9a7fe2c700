// A Sigstore of the lab's own (Fulcio CA, Rekor key, trusted root) making attestations offline.
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueFromCa, selfSigned } from './openssl.ts';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
const IN_TOTO = 'application/vnd.in-toto+json';
const REKOR_URL = 'https://rekor.lab.test';

/** What a GitHub workflow run puts in its Fulcio certificate. */
export interface WorkflowIdentity {
  /** e.g. acme/acme-secrets/.github/workflows/release.yml */
  workflow: string;
  ref: string;
}

export interface Subject {
  name: string;
  sha256: string;
}

export interface Sigstore {
  /** A trusted_root.json naming only this lab's certificate authority and log. */
  trustedRootFile: string;
  /** A Sigstore bundle (v0.3) of a SLSA provenance statement, as GitHub's attest action makes. */
  attest(subject: Subject, signer: WorkflowIdentity): Promise<Record<string, unknown>>;
  remove(): Promise<void>;
}

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');
const sha256 = (...parts: (Buffer | string)[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** DSSE's pre-authentication encoding: what the signature is over. */
function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/**
 * A certificate authority acting as Fulcio and a signing key acting as Rekor,
 * both made here, so GitHub-style attestations can be made and checked with
 * no network. The log holds one entry per bundle: its inclusion proof is a
 * tree of size one, with a signed checkpoint and a signed entry timestamp.
 */
export async function makeSigstore(): Promise<Sigstore> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-sigstore-'));
  const at = (name: string): string => join(dir, name);
  await selfSigned({
    keyFile: at('ca.key'),
    certFile: at('ca.pem'),
    days: 2,
    subject: '/O=lab/CN=lab fulcio',
    extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'],
  });
  const caDer = new X509Certificate(await readFile(at('ca.pem'))).raw;
  const rekor = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const logId = sha256(spkiDer(rekor.publicKey));
  const start = new Date(Date.now() - 86_400_000).toISOString();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: REKOR_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(spkiDer(rekor.publicKey)),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: b64(logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'lab', commonName: 'lab fulcio' },
        uri: 'https://fulcio.lab.test',
        certChain: { certificates: [{ rawBytes: b64(caDer) }] },
        validFor: { start },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const trustedRootFile = at('trusted_root.json');
  await writeFile(trustedRootFile, JSON.stringify(trustedRoot));
  let issued = 0;

  /** A short-lived leaf for the workflow, with the extensions Fulcio writes for GitHub Actions. */
  async function leafFor(
    signer: WorkflowIdentity,
  ): Promise<{ der: Buffer; pem: string; key: KeyObject }> {
    const name = `leaf-${++issued}`;
    const uri = `https://github.com/${signer.workflow}@${signer.ref}`;
    const repository = signer.workflow.split('/').slice(0, 2).join('/');
    await issueFromCa({
      dir,
      name,
      subject: '/O=sigstore.dev',
      days: 1,
      extensions: [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=codeSigning',
        `subjectAltName=critical,URI:${uri}`,
        `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${GITHUB_OIDC_ISSUER}`,
        `1.3.6.1.4.1.57264.1.9=ASN1:UTF8String:${uri}`,
        `1.3.6.1.4.1.57264.1.12=ASN1:UTF8String:https://github.com/${repository}`,
        `1.3.6.1.4.1.57264.1.14=ASN1:UTF8String:${signer.ref}`,
      ],
    });
    const pem = await readFile(at(`${name}.pem`), 'utf8');
    return {
      der: new X509Certificate(pem).raw,
      pem,
      key: createPrivateKey(await readFile(at(`${name}.key`))),
    };
  }

  return {
    trustedRootFile,
    async attest(subject, signer) {
      const leaf = await leafFor(signer);
      const [, , ...pathParts] = signer.workflow.split('/');
      const repository = signer.workflow.split('/').slice(0, 2).join('/');
      const statement = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: {
          buildDefinition: {
            buildType: 'https://actions.github.io/buildtypes/workflow/v1',
            externalParameters: {
              workflow: {
                ref: signer.ref,
                repository: `https://github.com/${repository}`,
                path: pathParts.join('/'),
              },
            },
          },
          runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
        },
      };
      const payload = Buffer.from(JSON.stringify(statement));
      const signature = sign('sha256', pae(IN_TOTO, payload), leaf.key);
      const envelope = {
        payload: b64(payload),
        payloadType: IN_TOTO,
        signatures: [{ sig: b64(signature), keyid: '' }],
      };
      const body = Buffer.from(
        JSON.stringify({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            envelopeHash: {
              algorithm: 'sha256',
              value: sha256(JSON.stringify(envelope)).toString('hex'),
            },
            payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
            signatures: [{ signature: b64(signature), verifier: b64(leaf.pem) }],
          },
        }),
      );
      const integratedTime = Math.floor(Date.now() / 1000);
      // Rekor signs the entry's canonical JSON (keys sorted) as its promise of inclusion.
      const promise = `{"body":"${b64(body)}","integratedTime":${integratedTime},"logID":"${logId.toString('hex')}","logIndex":0}`;
      const root = sha256(Buffer.from([0]), body);
      const note = `rekor.lab.test - 1\n1\n${b64(root)}\n`;
      const noteSignature = Buffer.concat([
        logId.subarray(0, 4),
        sign('sha256', Buffer.from(note), rekor.privateKey),
      ]);
      return {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: {
          certificate: { rawBytes: b64(leaf.der) },
          tlogEntries: [
            {
              logIndex: '0',
              logId: { keyId: b64(logId) },
              kindVersion: { kind: 'dsse', version: '0.0.1' },
              integratedTime: String(integratedTime),
              inclusionPromise: {
                signedEntryTimestamp: b64(sign('sha256', Buffer.from(promise), rekor.privateKey)),
              },
              inclusionProof: {
                logIndex: '0',
                rootHash: b64(root),
                treeSize: '1',
                hashes: [],
                checkpoint: { envelope: `${note}\n\u2014 rekor.lab.test ${b64(noteSignature)}\n` },
              },
              canonicalizedBody: b64(body),
            },
          ],
        },
        dsseEnvelope: envelope,
      };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
