import { getOctokit } from '@actions/github';
import { ArtifactError } from '../errors.ts';

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
  const octokit = getOctokit(query.githubToken, { baseUrl: query.apiUrl });
  const where = `${query.owner}/${query.repo}`;
  for (const tag of query.tags) {
    try {
      const { data } = await octokit.rest.repos.getReleaseByTag({
        owner: query.owner,
        repo: query.repo,
        tag,
      });
      return accepted(data, query);
    } catch (error) {
      if (error instanceof ArtifactError) throw error;
      if (statusOf(error) !== 404) {
        throw new ArtifactError(
          `release ${where}@${tag}: GitHub answered ${statusOf(error) ?? 'with an error'}: ${messageOf(error)}`,
        );
      }
    }
  }
  // GitHub never returns a draft by tag; only the release list shows drafts, to tokens with push access.
  const draft = await findDraft(octokit, query);
  if (draft) return accepted(draft, query);
  throw new ArtifactError(
    `release: no release tagged ${query.tags.join(' or ')} in ${where} (or the github-token cannot see it)`,
  );
}

async function findDraft(
  octokit: ReturnType<typeof getOctokit>,
  query: ReleaseQuery,
): Promise<ReleaseData | null> {
  try {
    const { data } = await octokit.rest.repos.listReleases({
      owner: query.owner,
      repo: query.repo,
      per_page: 100,
    });
    return data.find((r) => r.draft && query.tags.includes(r.tag_name)) ?? null;
  } catch {
    return null;
  }
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

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
