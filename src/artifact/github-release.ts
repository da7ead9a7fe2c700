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
  assets: ReleaseAsset[];
}

export interface ReleaseQuery {
  apiUrl: string;
  owner: string;
  repo: string;
  tags: readonly string[];
  githubToken: string;
}

/** The first of the candidate tags that names a published release. */
export async function findRelease(query: ReleaseQuery): Promise<Release> {
  if (!query.githubToken) {
    throw new ArtifactError(
      'github-token: empty; reading a release needs a token (the default is the workflow token, github.token)',
    );
  }
  const octokit = getOctokit(query.githubToken, { baseUrl: query.apiUrl });
  for (const tag of query.tags) {
    try {
      const { data } = await octokit.rest.repos.getReleaseByTag({
        owner: query.owner,
        repo: query.repo,
        tag,
      });
      return {
        tag: data.tag_name,
        htmlUrl: data.html_url,
        assets: data.assets
          .filter((asset) => asset.state === 'uploaded')
          .map((asset) => ({ name: asset.name, apiUrl: asset.url, size: asset.size })),
      };
    } catch (error) {
      if (statusOf(error) !== 404) {
        throw new ArtifactError(
          `release ${query.owner}/${query.repo}@${tag}: GitHub answered ${statusOf(error) ?? 'with an error'}: ${messageOf(error)}`,
        );
      }
    }
  }
  throw new ArtifactError(
    `release: no release tagged ${query.tags.join(' or ')} in ${query.owner}/${query.repo} (or the github-token cannot see it)`,
  );
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
