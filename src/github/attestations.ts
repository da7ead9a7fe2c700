import { ArtifactError } from '../domain/errors.ts';
import { ask, githubClient, type GitHubAccess } from './api.ts';

export interface AttestationLookup extends GitHubAccess {
  /** owner/repo whose attestation store is asked. */
  repository: string;
  asset: string;
  assetSha256: string;
}

/** The Sigstore bundles GitHub holds for the asset's digest, unverified; none when it has none. */
export async function listAttestationBundles(query: AttestationLookup): Promise<unknown[]> {
  const [owner = '', repo = ''] = query.repository.split('/');
  const what = `attestation of ${query.asset} in ${query.repository}`;
  const github = githubClient(query, `the attestations of ${query.repository}`);
  const answer = await ask(what, () =>
    github.rest.repos.listAttestations({
      owner,
      repo,
      subject_digest: `sha256:${query.assetSha256}`,
      per_page: 100,
    }),
  );
  if (!answer.ok && answer.status === 404) return [];
  if (!answer.ok) {
    throw new ArtifactError(
      `attestation: GitHub answered ${answer.status} for the attestations of ${query.asset} in ${query.repository}: ${answer.message}`,
    );
  }
  const listed = (answer.data as { attestations?: unknown } | null)?.attestations;
  return (Array.isArray(listed) ? (listed as ({ bundle?: unknown } | null)[]) : [])
    .map((a) => a?.bundle)
    .filter((b) => b !== undefined);
}
