// An image pulled the way OpenBao's own downloader pulls a plugin image:
// the reference resolved, the platform's manifest picked from an index, the
// layers read from the top until one holds the binary. Every manifest and
// blob is checked against the digest that names it before it is used.
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../../domain/errors.ts';
import type { Platform } from '../../domain/platform.ts';
import { unpackArchive } from '../archives/unpack.ts';
import { checkPlatform, EXECUTABLE_HEAD_BYTES } from '../trust/executable.ts';
import { readHead } from '../take-binary.ts';
import type { RegistryCredential } from './credentials.ts';
import { lookInLayer } from './layers.ts';
import {
  binaryPath,
  MANIFEST_TYPES,
  parseConfig,
  parseManifest,
  pickPlatform,
  registryText,
  type Descriptor,
  type Manifest,
} from './manifest.ts';
import { describeReference, type ImageReference } from '../../inputs/image-reference.ts';
import { RegistryClient, type ClientContext } from './registry-client.ts';

export interface PullContext extends ClientContext {
  platform: Platform;
  workDirectory: string;
  maxBytes: number;
  /** The `binary` input; empty to take the image's ENTRYPOINT or CMD. */
  binary: string;
}

export interface PulledImage {
  /** `sha256:…` of what the reference names: the index, or the image manifest of a single-platform image. */
  digest: string;
  /** `sha256:…` of the platform's image manifest; equal to `digest` for a single-platform image. */
  manifestDigest: string;
  /** `os/arch` as the index or the image configuration states it; empty when neither does. */
  platform: string;
  /** The binary's path in the image, e.g. `acme` or `usr/local/bin/acme`. */
  binaryName: string;
  binaryPath: string;
  sha256: string;
}

/** An index inside an index is followed once more; deeper nesting is no plugin image. */
const MAX_INDEX_DEPTH = 2;
const GZIP_LAYER =
  /^application\/vnd\.(oci\.image\.layer\.v1\.tar\+gzip|docker\.image\.rootfs\.diff\.tar\.gzip)$/;

export async function pullImage(
  ref: ImageReference,
  credential: RegistryCredential | null,
  ctx: PullContext,
): Promise<PulledImage> {
  const client = new RegistryClient(ref, credential, ctx);
  const shown = describeReference(ref);
  const top = await client.manifest(ref.digest || ref.tag, MANIFEST_TYPES);
  const digest = sha256Digest(top.body);
  if (ref.digest && digest !== ref.digest) {
    throw new ArtifactError(
      `artifact: ${ref.registry} answered ${shown} with a manifest whose digest is ${digest}, not the pinned ${ref.digest}`,
    );
  }
  if (top.digestHeader.startsWith('sha256:') && top.digestHeader !== digest) {
    throw new ArtifactError(
      `artifact: ${ref.registry} says ${shown} is ${top.digestHeader}, but the manifest it sent is ${digest}`,
    );
  }
  let manifest = parseManifest(top.body, top.contentType, shown);
  let manifestDigest = digest;
  let platform = '';
  for (let depth = 0; manifest.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) {
      throw new ArtifactError(
        `artifact: ${shown} nests image indexes more than ${MAX_INDEX_DEPTH} deep`,
      );
    }
    const child = pickPlatform(manifest, ctx.platform, `${shown} (an image index)`);
    const document = await client.manifest(child.digest, MANIFEST_TYPES);
    checkBlob(document.body, child, `manifest ${child.digest} of ${shown}`);
    manifest = parseManifest(document.body, document.contentType, `manifest ${child.digest}`);
    manifestDigest = child.digest;
    platform = child.platform
      ? `${child.platform.os}/${child.platform.architecture}`
      : 'linux/amd64';
  }
  ctx.log(
    `${shown}: ${digest}${manifestDigest === digest ? '' : `, for ${platform} manifest ${manifestDigest}`}`,
  );
  const configBody = await client.smallBlob(manifest.config.digest);
  checkBlob(configBody, manifest.config, `the image configuration of ${shown}`);
  const config = parseConfig(configBody, `the image configuration of ${shown}`);
  const wanted = `${ctx.platform.os}/${ctx.platform.arch}`;
  if (config.platform && config.platform !== wanted) {
    throw new ArtifactError(
      `artifact: ${shown} is an image for ${registryText(config.platform)}, not ${wanted}; set platform to the servers' OS/ARCH or push an image index with a ${wanted} image`,
    );
  }
  const binary = binaryPath(config, ctx.binary, shown);
  const taken = await takeBinary(client, manifest, binary.path, shown, ctx);
  ctx.log(
    `${shown}: binary ${binary.path} (named by ${binary.from}) from layer ${taken.layer}: sha256 ${taken.sha256}`,
  );
  return {
    digest,
    manifestDigest,
    platform: platform || config.platform,
    binaryName: binary.path,
    binaryPath: taken.path,
    sha256: taken.sha256,
  };
}

/** Reads the layers from the top down until one decides about `path`. */
async function takeBinary(
  client: RegistryClient,
  manifest: Extract<Manifest, { kind: 'image' }>,
  path: string,
  shown: string,
  ctx: PullContext,
): Promise<{ path: string; sha256: string; layer: string }> {
  for (const layer of [...manifest.layers].reverse()) {
    const what = `layer ${layer.digest} of ${shown}`;
    if (!GZIP_LAYER.test(layer.mediaType)) {
      throw new ArtifactError(
        `artifact: ${what} is ${layer.mediaType ? registryText(layer.mediaType) : 'of no media type'}; the action reads gzip-compressed tar layers, as docker buildx, ko and crane push them`,
      );
    }
    if (layer.size > ctx.maxBytes) {
      throw new ArtifactError(
        `artifact: ${what} is ${layer.size} bytes, more than max-size (${ctx.maxBytes} bytes); raise max-size if this plugin is really that large`,
      );
    }
    const blob = await client.blobToDisk(layer.digest, what, ctx.maxBytes, ctx.workDirectory);
    const unpacked = join(ctx.workDirectory, `layer-${randomUUID()}`);
    try {
      if (`sha256:${blob.sha256}` !== layer.digest || blob.size !== layer.size) {
        throw new ArtifactError(
          `artifact: ${what} does not match its digest: the registry sent ${blob.size} bytes with sha256:${blob.sha256}; refusing the image`,
        );
      }
      await mkdir(unpacked);
      const verdict = lookInLayer(
        await unpackArchive(blob.path, 'tar.gz', ctx.maxBytes, unpacked),
        path,
      );
      if (verdict.kind === 'deleted') {
        throw new ArtifactError(
          `artifact: ${what} deletes ${path} (a whiteout), so the image holds no plugin binary there`,
        );
      }
      if (verdict.kind === 'absent') continue;
      // An empty member was never written, and is no executable either.
      const file = verdict.entry.file;
      if (!file?.path) throw new ArtifactError(`artifact: the image's ${path} is an empty file`);
      checkPlatform(path, await readHead(file.path, EXECUTABLE_HEAD_BYTES), ctx.platform);
      const binary = join(ctx.workDirectory, `binary-${randomUUID()}`);
      await rename(file.path, binary);
      await chmod(binary, 0o755);
      return { path: binary, sha256: file.sha256, layer: layer.digest };
    } finally {
      await rm(blob.path, { force: true });
      await rm(unpacked, { recursive: true, force: true });
    }
  }
  throw new ArtifactError(
    `artifact: ${shown} holds no file ${path} in any of its ${manifest.layers.length} layer(s)`,
  );
}

function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function checkBlob(data: Buffer, descriptor: Descriptor, what: string): void {
  const actual = sha256Digest(data);
  if (actual !== descriptor.digest || data.length !== descriptor.size) {
    throw new ArtifactError(
      `artifact: ${what} does not match its digest: the registry sent ${data.length} bytes with ${actual}; refusing the image`,
    );
  }
}
