import { ArtifactError } from '../errors.ts';
import { githubGet } from './github-api.ts';

export interface ReleaseAsset {
  name: string;
  /** The REST URL; asked with `Accept: application/octet-stream` it redirects to the file. */
  apiUrl: string;
  size: number;
}

export interface Release {
  tag: string;
  htmlUrl: string;
  draft: boolean;
  prerelease: boolean;
  assets: ReleaseAsset[];
}

export interface ReleaseQuery {
  apiUrl: string;
  owner: string;
  repo: string;
  tags: readonly string[];
  githubToken: string;
  allowDraft: boolean;
}

interface ReleaseData {
  tag_name: string;
  html_url: string;
  draft: boolean;
  prerelease: boolean;
  assets: { name: string; url: string; size: number; state: string }[];
}

/** The first of the candidate tags that names a published release. */
export async function findRelease(query: ReleaseQuery): Promise<Release> {
  if (!query.githubToken) {
    throw new ArtifactError(
      'github-token: empty; reading a release needs a token (the default is the workflow token, github.token)',
    );
  }
  const where = `${query.owner}/${query.repo}`;
  const repoPath = `/repos/${encodeURIComponent(query.owner)}/${encodeURIComponent(query.repo)}`;
  for (const tag of query.tags) {
    const answer = await githubGet<ReleaseData>(
      query.apiUrl,
      `${repoPath}/releases/tags/${encodeURIComponent(tag)}`,
      query.githubToken,
      `release ${where}@${tag}`,
    );
    if (answer.data) return accepted(answer.data, query);
    if (answer.status !== 404) {
      throw new ArtifactError(
        `release ${where}@${tag}: GitHub answered ${answer.status}: ${answer.message}`,
      );
    }
  }
  // GitHub never returns a draft by tag; only the release list shows drafts, to tokens with push access.
  const list = await githubGet<ReleaseData[]>(
    query.apiUrl,
    `${repoPath}/releases?per_page=100`,
    query.githubToken,
    `release ${where}`,
  );
  const releases = Array.isArray(list.data) ? list.data : [];
  const draft = releases.find((r) => r.draft && query.tags.includes(r.tag_name));
  if (draft) return accepted(draft, query);
  throw new ArtifactError(
    `release: no release tagged ${query.tags.join(' or ')} in ${where} (or the github-token cannot see it)`,
  );
}

function accepted(data: ReleaseData, query: ReleaseQuery): Release {
  if (data.draft && !query.allowDraft) {
    throw new ArtifactError(
      `release ${query.owner}/${query.repo}@${data.tag_name} is a draft; set allow-draft: true to deploy from an unpublished release`,
    );
  }
  return {
    tag: data.tag_name,
    htmlUrl: data.html_url,
    draft: data.draft,
    prerelease: data.prerelease,
    assets: data.assets
      .filter((asset) => asset.state === 'uploaded')
      .map((asset) => ({ name: asset.name, apiUrl: asset.url, size: asset.size })),
  };
}
