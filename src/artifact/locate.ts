import { readFile, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import type { ArtifactSource } from '../inputs/release.ts';
import { ArtifactError } from '../domain/errors.ts';
import type { TrustPolicy } from '../inputs/trust.ts';
import { checksumFileCandidates } from './trust/checksums.ts';
import { download, type DownloadRequest } from './download.ts';
import {
  discardLeadingMember,
  inflateLeadingMember,
  type LeadingMember,
} from './archives/leading-member.ts';
import { sha256File } from './hash.ts';
import { findRelease, type Release } from '../github/release.ts';
import { selectAsset } from './select-asset.ts';
import { assetDownload, type AssetDownload, type AssetFile } from './asset-file.ts';

export type ArtifactOrigin =
  | { kind: 'release'; repository: string; tag: string; htmlUrl: string; prerelease: boolean }
  | { kind: 'url'; url: string }
  | { kind: 'file'; path: string }
  | {
      kind: 'oci';
      /** `registry/repository`, as OpenBao's `image` names it. */
      image: string;
      /** Empty when the artifact named a digest only. */
      tag: string;
      /** `sha256:…` the reference resolves to: the index, or the image manifest. */
      digest: string;
      /** `sha256:…` of the platform's image manifest. */
      manifestDigest: string;
      platform: string;
    };

export interface NamedFile {
  name: string;
  data: Buffer;
}

/** The artifact found, its download under way, its checksums file and signature read. */
export interface Located {
  origin: ArtifactOrigin;
  asset: string;
  download: AssetDownload;
  sums: NamedFile | null;
  signature: NamedFile | null;
}

export interface LocateContext {
  workDirectory: string;
  workspace: string;
  log: (line: string) => void;
  /**
   * Whether the asset downloads while its checksums file is read: not when
   * the tool cache may keep a copy, which the checksums file decides on.
   */
  downloadEarly: boolean;
}

const OCTET_STREAM = 'application/octet-stream';

export async function locate(
  source: Exclude<ArtifactSource, { kind: 'oci' }>,
  trust: TrustPolicy,
  ctx: LocateContext,
): Promise<Located> {
  if (source.kind === 'release') return locateInRelease(source, trust, ctx);
  const asset =
    source.kind === 'url'
      ? decodeURIComponent(new URL(source.url).pathname.replace(/^.*\//, '')) || 'artifact'
      : basename(source.path);
  const origin: ArtifactOrigin =
    source.kind === 'url' ? { kind: 'url', url: source.url } : { kind: 'file', path: source.path };
  const download = assetDownload(async (signal) => {
    if (source.kind === 'url') {
      ctx.log(`downloading ${source.url}`);
      return downloadAsset(source.url, asset, null, trust, ctx, signal);
    }
    const size = await checkLocal(source.path, 'artifact', trust.maxBytes);
    return { path: source.path, sha256: await sha256File(source.path), size, temporary: false };
  }, ctx.downloadEarly);
  return alongside(download, async () => {
    const sums = trust.checksums ? await readReference(trust.checksums, null, trust, ctx) : null;
    const signature =
      sums && trust.gpgPublicKey ? await readSignatureBeside(trust.checksums, trust, ctx) : null;
    return { origin, asset, download, sums, signature };
  });
}

/** What `read` finds while the asset downloads; the download is dropped when that fails. */
async function alongside(download: AssetDownload, read: () => Promise<Located>): Promise<Located> {
  try {
    return await read();
  } catch (error) {
    await download.drop();
    throw error;
  }
}

async function locateInRelease(
  source: Extract<ArtifactSource, { kind: 'release' }>,
  trust: TrustPolicy,
  ctx: LocateContext,
): Promise<Located> {
  const release = await findRelease({ ...source, allowDraft: trust.allowDraft });
  const repository = `${source.owner}/${source.repo}`;
  const where = `release ${repository}@${release.tag}`;
  const names = release.assets.map((a) => a.name);
  const asset = selectAsset(names, source.asset, where);
  const marks = [release.prerelease ? 'pre-release' : '', release.draft ? 'draft' : '']
    .filter(Boolean)
    .join(', ');
  ctx.log(`${where}${marks ? ` (${marks})` : ''}: asset ${asset}`);
  const fromRelease = { release, where };
  const assetUrl = releaseAssetUrl(fromRelease, asset);
  const download = assetDownload(
    (signal) => downloadAsset(assetUrl, asset, fromRelease, trust, ctx, signal),
    ctx.downloadEarly,
  );
  return alongside(download, async () => {
    const sumsName = trust.checksums || checksumFileCandidates(names, asset)[0] || '';
    let sums: NamedFile | null = null;
    let signature: NamedFile | null = null;
    if (sumsName) {
      sums = await readReference(sumsName, fromRelease, trust, ctx);
      const signatureName = names.find((n) =>
        [`${sums?.name ?? ''}.sig`, `${sums?.name ?? ''}.asc`].includes(n),
      );
      if (signatureName) signature = await readReference(signatureName, fromRelease, trust, ctx);
    } else {
      ctx.log(`${where} publishes no checksums file`);
    }
    return {
      origin: {
        kind: 'release',
        repository,
        tag: release.tag,
        htmlUrl: release.htmlUrl,
        prerelease: release.prerelease,
      },
      asset,
      download,
      sums,
      signature,
    };
  });
}

interface FromRelease {
  release: Release;
  where: string;
}

/** A checksums file or signature: a release asset name, a URL, or a path on the runner. */
async function readReference(
  reference: string,
  fromRelease: FromRelease | null,
  trust: TrustPolicy,
  ctx: LocateContext,
): Promise<NamedFile> {
  if (/^https?:\/\//i.test(reference)) {
    const name = basename(new URL(reference).pathname);
    ctx.log(`downloading ${reference}`);
    return { name, data: await readDownload(await downloadTo(reference, name, null, trust, ctx)) };
  }
  if (reference.includes('/') || !fromRelease) {
    const path = isAbsolute(reference) ? reference : resolve(ctx.workspace, reference);
    await checkLocal(path, 'checksums', trust.maxBytes);
    return { name: basename(path), data: await readFile(path) };
  }
  const name = selectAsset(
    fromRelease.release.assets.map((a) => a.name),
    reference,
    fromRelease.where,
  );
  const file = await downloadTo(releaseAssetUrl(fromRelease, name), name, fromRelease, trust, ctx);
  return { name, data: await readDownload(file) };
}

/** Outside a release, a signature sits beside its checksums file as `<sums>.sig` or `.asc`. */
async function readSignatureBeside(
  sumsReference: string,
  trust: TrustPolicy,
  ctx: LocateContext,
): Promise<NamedFile | null> {
  for (const suffix of ['.sig', '.asc']) {
    try {
      return await readReference(`${sumsReference}${suffix}`, null, trust, ctx);
    } catch {
      // Try the other spelling; a missing signature is judged by the caller.
    }
  }
  return null;
}

function releaseAssetUrl(from: FromRelease, name: string): string {
  const asset = from.release.assets.find((a) => a.name === name);
  if (!asset) throw new ArtifactError(`artifact: ${from.where} has no asset named ${name}`);
  return asset.downloadUrl;
}

/** The asset, with its first zip member inflated while it downloads (see inflateLeadingMember). */
async function downloadAsset(
  url: string,
  label: string,
  fromRelease: FromRelease | null,
  trust: TrustPolicy,
  ctx: LocateContext,
  signal: AbortSignal,
): Promise<AssetFile> {
  let leading: Promise<LeadingMember | null> | undefined;
  try {
    const file = await downloadTo(url, label, fromRelease, trust, ctx, {
      signal,
      follow: (growing) => {
        leading = inflateLeadingMember(growing, trust.maxBytes, ctx.workDirectory);
      },
    });
    return { ...file, leading };
  } catch (error) {
    await discardLeadingMember(leading);
    throw error;
  }
}

async function downloadTo(
  url: string,
  label: string,
  fromRelease: FromRelease | null,
  trust: TrustPolicy,
  ctx: LocateContext,
  extra: Pick<DownloadRequest, 'signal' | 'follow'> = {},
): Promise<AssetFile> {
  const downloaded = await download({
    url,
    label,
    ...(fromRelease ? { credential: fromRelease.release.credential, accept: OCTET_STREAM } : {}),
    maxBytes: trust.maxBytes,
    directory: ctx.workDirectory,
    ...extra,
  });
  return { ...downloaded, temporary: true };
}

async function readDownload(file: { path: string }): Promise<Buffer> {
  try {
    return await readFile(file.path);
  } finally {
    await rm(file.path, { force: true });
  }
}

async function checkLocal(path: string, input: string, maxBytes: number): Promise<number> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw new ArtifactError(`${input}: "${path}" is not a file on the runner`);
  }
  if (size === 0) throw new ArtifactError(`${input}: "${path}" is empty (0 bytes)`);
  if (size > maxBytes) {
    throw new ArtifactError(
      `${input}: "${path}" is larger than max-size (${maxBytes} bytes); raise max-size if this plugin is really that large`,
    );
  }
  return size;
}
