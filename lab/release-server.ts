// A stand-in for GitHub's REST API: releases, asset downloads, attestations, renames.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReleaseAsset {
  name: string;
  data: Buffer;
}

export interface ReleaseSpec {
  owner: string;
  repo: string;
  tag: string;
  assets: ReleaseAsset[];
  prerelease?: boolean;
  draft?: boolean;
  /** The API base the assets' `url` fields name, as a hostile or broken server might; this server's by default. */
  assetApi?: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string;
  accept: string;
}

export interface ReleaseServer {
  /** Base URL of the REST API, as `GITHUB_API_URL` gives it. */
  apiUrl: string;
  requests: SeenRequest[];
  /** The direct download URL of a published asset, as a browser_download_url redirect ends. */
  fileUrl(name: string): string;
  publish(release: ReleaseSpec): void;
  /** Answers every API call about `from` (owner/repo) with a 301 to `to`, as GitHub does for a renamed repository. */
  move(from: string, to: string): void;
  /**
   * Holds the answers to every download of the named asset until the
   * returned function is called, to see what the action asks for meanwhile.
   */
  hold(name: string): () => void;
  /** Stores a Sigstore bundle under `sha256:<digest>` in the repository's attestations. */
  attest(repository: string, sha256: string, bundle: unknown): void;
  close(): Promise<void>;
}

interface StoredAsset extends ReleaseAsset {
  id: number;
}

/**
 * Answers the GitHub REST calls the action makes: a release by tag, and an
 * asset by id, which with `Accept: application/octet-stream` redirects to
 * the file as github.com does. With `token` set, the repository is private:
 * any request without that token gets the 404 GitHub gives.
 */
export async function startReleaseServer(
  options: {
    token?: string;
    basePath?: string;
    /** The origin the release list's `Link: rel="next"` names; this server's by default. */
    pageLinks?: string;
  } = {},
): Promise<ReleaseServer> {
  const basePath = options.basePath ?? '';
  const releases = new Map<
    string,
    Omit<ReleaseSpec, 'assets'> & { id: number; assets: StoredAsset[] }
  >();
  const assets = new Map<number, StoredAsset>();
  const requests: SeenRequest[] = [];
  const attestations = new Map<string, unknown[]>();
  const moves = new Map<string, string>();
  /** Asset names whose downloads wait for this, with the answers waiting. */
  const held = new Map<string, Promise<void>>();
  let nextId = 1000;
  let base = '';

  const notFound = (res: ServerResponse): void => {
    json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  };
  const authorized = (req: IncomingMessage): boolean =>
    !options.token ||
    req.headers.authorization === `Bearer ${options.token}` ||
    req.headers.authorization === `token ${options.token}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization ?? '',
      accept: req.headers.accept ?? '',
    });
    // GitHub Enterprise Server serves the REST API under /api/v3; assets stay at the host's root.
    const apiPath = url.pathname.startsWith(`${basePath}/`)
      ? url.pathname.slice(basePath.length)
      : '';
    const moved = /^\/repos\/([^/]+\/[^/]+)(\/.*)$/.exec(apiPath);
    const movedTo = moves.get((moved?.[1] ?? '').toLowerCase());
    if (moved && movedTo) {
      res.writeHead(301, {
        location: `${base}${basePath}/repos/${movedTo}${moved[2] ?? ''}${url.search}`,
      });
      return res.end();
    }
    const byTag = /^\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/.exec(apiPath);
    const list = /^\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(apiPath);
    const byAsset = /^\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(apiPath);
    const file = /^\/files\/(\d+)\/([^/]+)$/.exec(url.pathname);
    const attested = /^\/repos\/([^/]+\/[^/]+)\/attestations\/(sha256:[0-9a-f]{64})$/.exec(
      decodeURIComponent(apiPath),
    );
    if (attested && authorized(req)) {
      const bundles = attestations.get(`${attested[1] ?? ''}@${attested[2] ?? ''}`.toLowerCase());
      // A digest nobody attested: 404 here; the action reads a 404 and an empty list alike.
      if (!bundles) return notFound(res);
      return json(res, 200, {
        attestations: bundles.map((bundle) => ({ repository_id: 1, bundle })),
      });
    }
    if (byTag && authorized(req)) {
      const release = releases.get(
        key(byTag[1] ?? '', byTag[2] ?? '', decodeURIComponent(byTag[3] ?? '')),
      );
      // As on github.com, a draft is never found by its tag.
      if (!release || release.draft) return notFound(res);
      return json(res, 200, releaseJson(release));
    }
    if (list && authorized(req)) {
      const owner = (list[1] ?? '').toLowerCase();
      const repo = (list[2] ?? '').toLowerCase();
      // Newest first, a page at a time, as GitHub lists releases.
      const all = [...releases.values()]
        .filter((r) => r.owner.toLowerCase() === owner && r.repo.toLowerCase() === repo)
        .reverse();
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? '30') || 30);
      const page = Math.max(1, Number(url.searchParams.get('page') ?? '1') || 1);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) {
        const next = new URL(`${options.pageLinks ?? base}${url.pathname}`);
        next.searchParams.set('per_page', String(perPage));
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return json(
        res,
        200,
        all.slice((page - 1) * perPage, page * perPage).map(releaseJson),
        headers,
      );
    }
    if (byAsset && authorized(req)) {
      const asset = assets.get(Number(byAsset[3]));
      if (!asset) return notFound(res);
      if (req.headers.accept !== 'application/octet-stream') {
        return json(res, 200, { id: asset.id, name: asset.name, size: asset.data.length });
      }
      res.writeHead(302, {
        location: `${base}/files/${asset.id}/${encodeURIComponent(asset.name)}`,
      });
      return res.end();
    }
    if (file) {
      const asset = assets.get(Number(file[1]));
      if (!asset) return notFound(res);
      void (held.get(asset.name) ?? Promise.resolve()).then(() => {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': asset.data.length,
        });
        res.end(asset.data);
      });
      return;
    }
    return notFound(res);
  });
  const releaseJson = (
    release: Omit<ReleaseSpec, 'assets'> & { id: number; assets: StoredAsset[] },
  ) => {
    const api = release.assetApi ?? `${base}${basePath}`;
    const { owner, repo } = release;
    return {
      id: release.id,
      tag_name: release.tag,
      name: release.tag,
      draft: release.draft ?? false,
      prerelease: release.prerelease ?? false,
      html_url: `${base}/${owner}/${repo}/releases/tag/${release.tag}`,
      assets: release.assets.map((a) => ({
        id: a.id,
        name: a.name,
        size: a.data.length,
        state: 'uploaded',
        content_type: 'application/octet-stream',
        url: `${api}/repos/${owner}/${repo}/releases/assets/${a.id}`,
        browser_download_url: `${base}/${owner}/${repo}/releases/download/${release.tag}/${a.name}`,
      })),
    };
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}${basePath}`,
    fileUrl: (name) => {
      const asset = [...assets.values()].find((a) => a.name === name);
      if (!asset) throw new Error(`no asset ${name} published`);
      return `${base}/files/${asset.id}/${encodeURIComponent(name)}`;
    },
    requests,
    hold(name) {
      let release = (): void => undefined;
      held.set(
        name,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return () => {
        held.delete(name);
        release();
      };
    },
    publish(release) {
      const stored = release.assets.map((a) => ({ ...a, id: nextId++ }));
      for (const asset of stored) assets.set(asset.id, asset);
      releases.set(key(release.owner, release.repo, release.tag), {
        ...release,
        id: nextId++,
        assets: stored,
      });
    },
    move(from, to) {
      moves.set(from.toLowerCase(), to);
    },
    attest(repository, sha256, bundle) {
      const at = `${repository}@sha256:${sha256}`.toLowerCase();
      attestations.set(at, [...(attestations.get(at) ?? []), bundle]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function key(owner: string, repo: string, tag: string): string {
  return `${owner}/${repo}@${tag}`.toLowerCase();
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}
