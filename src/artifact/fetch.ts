import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactSource } from '../config.ts';
import { ArtifactError } from '../errors.ts';
import {
  checksumFileCandidates,
  parseChecksums,
  verifyAgainstChecksums,
  type ChecksumVerdict,
} from './checksums.ts';
import { download } from './download.ts';
import { findRelease, type Release } from './github-release.ts';
import { sha256File } from './hash.ts';
import { detectFormat, extract, listMembers, pickBinary, type ArchiveFormat } from './unpack.ts';

export type ArtifactOrigin =
  | { kind: 'release'; repository: string; tag: string; htmlUrl: string }
  | { kind: 'url'; url: string };

export interface ArtifactFacts {
  origin: ArtifactOrigin;
  asset: string;
  format: ArchiveFormat;
  assetSha256: string;
  /** The binary's path inside the archive, or the asset name for a raw binary. */
  binaryName: string;
  binaryPath: string;
  sha256: string;
  checksums: ChecksumVerdict | null;
}

interface Fetched {
  origin: ArtifactOrigin;
  asset: string;
  file: string;
  sums: { name: string; text: string } | null;
}

const OCTET_STREAM = 'application/octet-stream';

export async function fetchArtifact(
  source: ArtifactSource,
  pluginName: string,
  log: (line: string) => void,
): Promise<ArtifactFacts> {
  const fetched =
    source.kind === 'release' ? await fetchReleaseAsset(source, log) : await fetchUrl(source, log);
  const assetSha256 = await sha256File(fetched.file);
  const format = await detectFormat(fetched.file);
  if (format === 'raw') await refuseErrorPage(fetched.file, fetched.asset);
  let binaryName = fetched.asset;
  let binaryPath = fetched.file;
  let sha256 = assetSha256;
  if (format !== 'raw') {
    const root = await extract(fetched.file, format);
    const member = pickBinary(await listMembers(root), pluginName, '');
    binaryName = member.path;
    binaryPath = join(root, member.path);
    sha256 = await sha256File(binaryPath);
  }
  log(`${fetched.asset}: ${format}, sha256 ${assetSha256}; binary ${binaryName}: sha256 ${sha256}`);
  let checksums: ChecksumVerdict | null = null;
  if (fetched.sums) {
    checksums = verifyAgainstChecksums(
      fetched.sums.name,
      parseChecksums(fetched.sums.text, fetched.asset),
      { name: fetched.asset, sha256: assetSha256 },
      { name: binaryName.replace(/^.*\//, ''), sha256 },
    );
    log(`${checksums.file} confirms the ${checksums.covers.join(' and ')}`);
  }
  return {
    origin: fetched.origin,
    asset: fetched.asset,
    format,
    assetSha256,
    binaryName,
    binaryPath,
    sha256,
    checksums,
  };
}

async function fetchReleaseAsset(
  source: Extract<ArtifactSource, { kind: 'release' }>,
  log: (line: string) => void,
): Promise<Fetched> {
  const release = await findRelease(source);
  const repository = `${source.owner}/${source.repo}`;
  const asset = assetNamed(release, source.asset, repository);
  log(`release ${repository}@${release.tag}: asset ${asset.name} (${asset.size} bytes)`);
  const file = await download({
    url: asset.apiUrl,
    label: asset.name,
    githubToken: source.githubToken,
    accept: OCTET_STREAM,
  });
  const sumsName = checksumFileCandidates(
    release.assets.map((a) => a.name),
    asset.name,
  )[0];
  let sums: Fetched['sums'] = null;
  if (sumsName) {
    const sumsAsset = assetNamed(release, sumsName, repository);
    const sumsFile = await download({
      url: sumsAsset.apiUrl,
      label: sumsName,
      githubToken: source.githubToken,
      accept: OCTET_STREAM,
    });
    sums = { name: sumsName, text: await readFile(sumsFile, 'utf8') };
  } else {
    log(
      `release ${repository}@${release.tag} publishes no checksums file; relying on the hash alone`,
    );
  }
  return {
    origin: { kind: 'release', repository, tag: release.tag, htmlUrl: release.htmlUrl },
    asset: asset.name,
    file,
    sums,
  };
}

async function fetchUrl(
  source: Extract<ArtifactSource, { kind: 'url' }>,
  log: (line: string) => void,
): Promise<Fetched> {
  const asset = decodeURIComponent(new URL(source.url).pathname.replace(/^.*\//, '')) || 'artifact';
  log(`downloading ${source.url}`);
  const file = await download({ url: source.url, label: asset });
  return { origin: { kind: 'url', url: source.url }, asset, file, sums: null };
}

function assetNamed(release: Release, name: string, repository: string): Release['assets'][number] {
  const asset = release.assets.find((a) => a.name === name);
  if (!asset) {
    const names = release.assets.map((a) => a.name).join(', ') || 'none';
    throw new ArtifactError(
      `artifact: release ${repository}@${release.tag} has no asset named ${name}; it has: ${names}`,
    );
  }
  return asset;
}

/** A proxy or a wrong URL often answers 200 with an HTML page; that is never a plugin. */
async function refuseErrorPage(file: string, asset: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(256);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead).toString('latin1').trimStart().toLowerCase();
    if (text.startsWith('<!doctype html') || text.startsWith('<html')) {
      throw new ArtifactError(
        `${asset}: the download is an HTML page, not a plugin binary or archive`,
      );
    }
  } finally {
    await handle.close();
  }
}
