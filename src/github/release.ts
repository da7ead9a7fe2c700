import { ArtifactError } from '../domain/errors.ts';
import { apiCredential, ask, githubClient, type GitHub, type GitHubAccess } from './api.ts';

export interface ReleaseAsset {
  name: string;
  /**
   * Where to download it: the asset's REST address, which with `Accept:
   * application/octet-stream` redirects to the file. Built from the API base
   * and the asset's id, never taken from the answer, so the token goes
   * nowhere the release names.
   */
  downloadUrl: string;
  size: number;
}

export interface Release {
  tag: string;
  htmlUrl: string;
  draft: boolean;
  prerelease: boolean;
  assets: ReleaseAsset[];
  /** The Authorization header an asset download sends, and the origin it may go to. */
  credential: { authorization: string; origin: string };
}

export interface ReleaseQuery extends GitHubAccess {
  owner: string;
  repo: string;
  tags: readonly string[];
  allowDraft: boolean;
}

/** Newest first, so a draft being prepared is on the first page; the rest bounds a list that never ends. */
const MAX_LISTED_PAGES = 10;

/** The first of the candidate tags that names a published release. */
export async function findRelease(query: ReleaseQuery): Promise<Release> {
  const where = `${query.owner}/${query.repo}`;
  const github = githubClient(query, `the release of ${where}`);
  const repository = { owner: query.owner, repo: query.repo };
  for (const tag of query.tags) {
    const answer = await ask(`release ${where}@${tag}`, () =>
      github.rest.repos.getReleaseByTag({ ...repository, tag }),
    );
    if (answer.ok) return accepted(answer.data, github, query);
    if (answer.status !== 404) {
      throw new ArtifactError(
        `release ${where}@${tag}: GitHub answered ${answer.status}: ${answer.message}`,
      );
    }
  }
  // GitHub never returns a draft by tag; only the release list shows drafts, to tokens with push access.
  let pages = 0;
  const listed = await ask(`release ${where}`, async () => ({
    data: await github.paginate(
      github.rest.repos.listReleases,
      { ...repository, per_page: 100 },
      (page, done) => {
        const draft = page.data.find((r) => r.draft && query.tags.includes(r.tag_name));
        if (draft || ++pages >= MAX_LISTED_PAGES) done();
        return draft ? [draft] : [];
      },
    ),
  }));
  const draft = listed.ok ? listed.data[0] : undefined;
  if (draft) return accepted(draft, github, query);
  throw new ArtifactError(
    `release: no release tagged ${query.tags.join(' or ')} in ${where} (or the github-token cannot see it)`,
  );
}

function accepted(data: unknown, github: GitHub, query: ReleaseQuery): Release {
  const release = releaseOf(data);
  const where = `release ${query.owner}/${query.repo}`;
  if (!release) throw new ArtifactError(`${where}: GitHub's answer is not a release`);
  if (release.draft && !query.allowDraft) {
    throw new ArtifactError(
      `${where}@${release.tag_name} is a draft; set allow-draft: true to deploy from an unpublished release`,
    );
  }
  return {
    tag: release.tag_name,
    htmlUrl: release.html_url,
    draft: release.draft,
    prerelease: release.prerelease,
    assets: release.assets
      .filter((asset) => asset.state === 'uploaded')
      .map((asset) => ({
        name: asset.name,
        downloadUrl: github.rest.repos.getReleaseAsset.endpoint({
          owner: query.owner,
          repo: query.repo,
          asset_id: asset.id,
        }).url,
        size: asset.size,
      })),
    credential: apiCredential(query),
  };
}

interface ReleaseData {
  tag_name: string;
  html_url: string;
  draft: boolean;
  prerelease: boolean;
  assets: { id: number; name: string; size: number; state: string }[];
}

/** The fields the action reads, checked: a release is what GitHub (or whoever answers for it) says. */
function releaseOf(data: unknown): ReleaseData | null {
  const release = data as Partial<Record<keyof ReleaseData, unknown>> | null;
  if (
    typeof release?.tag_name !== 'string' ||
    typeof release.html_url !== 'string' ||
    typeof release.draft !== 'boolean' ||
    typeof release.prerelease !== 'boolean' ||
    !Array.isArray(release.assets)
  ) {
    return null;
  }
  const assets = release.assets as unknown[];
  const wellFormed = assets.every((a) => {
    const asset = a as Record<string, unknown> | null;
    return (
      Number.isSafeInteger(asset?.id) &&
      Number(asset?.id) > 0 &&
      typeof asset?.name === 'string' &&
      typeof asset.size === 'number' &&
      typeof asset.state === 'string'
    );
  });
  return wellFormed ? (release as ReleaseData) : null;
}
