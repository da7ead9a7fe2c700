import { posix } from 'node:path';
import { ArtifactError } from '../../domain/errors.ts';
import type { Platform } from '../../domain/platform.ts';

export const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;
export const IMAGE_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;
/** What a manifest request accepts: any of the four, as Docker and go-containerregistry ask. */
export const MANIFEST_TYPES: readonly string[] = [...INDEX_TYPES, ...IMAGE_TYPES];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform: { os: string; architecture: string } | null;
}

export type Manifest =
  | { kind: 'index'; manifests: Descriptor[] }
  | { kind: 'image'; config: Descriptor; layers: Descriptor[] };

const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** Linux's PATH_MAX: no file in an image has a longer path. */
const MAX_PATH = 4096;
const PLAIN = /^[\w./+-]{1,100}$/;

/** A string the registry sent, as an error line shows it: plain words as they are, anything else quoted and cut short. */
export function registryText(value: string): string {
  return PLAIN.test(value)
    ? value
    : JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/**
 * An index or image manifest, by its own `mediaType` field, else the
 * Content-Type the registry sent. Every descriptor must carry a sha256
 * digest and a size: they are what each blob is then checked against.
 */
export function parseManifest(body: Buffer, contentType: string, what: string): Manifest {
  let json: {
    mediaType?: unknown;
    manifests?: unknown;
    config?: unknown;
    layers?: unknown;
    schemaVersion?: unknown;
  };
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json;
  } catch {
    throw new ArtifactError(`artifact: ${what} is not JSON`);
  }
  const type =
    typeof json.mediaType === 'string' ? json.mediaType : (contentType.split(';')[0]?.trim() ?? '');
  if (
    (INDEX_TYPES as readonly string[]).includes(type) ||
    (!type && Array.isArray(json.manifests))
  ) {
    return { kind: 'index', manifests: descriptors(json.manifests, what) };
  }
  if ((IMAGE_TYPES as readonly string[]).includes(type) || (!type && json.config)) {
    const [config] = descriptors([json.config], what);
    if (!config) throw new ArtifactError(`artifact: ${what} has no config`);
    return { kind: 'image', config, layers: descriptors(json.layers, what) };
  }
  throw new ArtifactError(
    `artifact: ${what} is ${type ? `a ${registryText(type)}` : 'of no known type'}, not an image or an image index`,
  );
}

function descriptors(list: unknown, what: string): Descriptor[] {
  if (!Array.isArray(list)) throw new ArtifactError(`artifact: ${what} lists no descriptors`);
  return list.map((raw: unknown) => {
    const d = (raw ?? {}) as Record<string, unknown>;
    const platform = (d.platform ?? null) as Record<string, unknown> | null;
    if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) {
      throw new ArtifactError(
        `artifact: ${what} names a blob by ${JSON.stringify(String(d.digest)).slice(0, 80)}, not a sha256 digest`,
      );
    }
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
      throw new ArtifactError(`artifact: ${what} gives ${d.digest} no size`);
    }
    return {
      mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
      digest: d.digest,
      size: d.size,
      platform: platform
        ? { os: text(platform.os), architecture: text(platform.architecture) }
        : null,
    };
  });
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The first manifest of the index for the platform, as OpenBao's
 * downloader (go-containerregistry) picks it: OS and architecture equal, an
 * entry without a platform taken as linux/amd64.
 */
export function pickPlatform(
  index: Extract<Manifest, { kind: 'index' }>,
  platform: Platform,
  what: string,
): Descriptor {
  const of = (d: Descriptor): string =>
    d.platform ? `${d.platform.os}/${d.platform.architecture}` : 'linux/amd64';
  const wanted = `${platform.os}/${platform.arch}`;
  const found = index.manifests.find((d) => of(d) === wanted);
  if (found) return found;
  const listed =
    [...new Set(index.manifests.map((d) => registryText(of(d))))].join(', ') ||
    'no manifest at all';
  throw new ArtifactError(
    `artifact: ${what} has no manifest for ${wanted}; it has ${listed}; set platform to the servers' OS/ARCH or push an image for it`,
  );
}

/** What an image configuration tells: the platform it is for and its ENTRYPOINT and CMD. */
export interface ImageConfig {
  platform: string;
  entrypoint: string[];
  cmd: string[];
}

export function parseConfig(body: Buffer, what: string): ImageConfig {
  let json: {
    os?: unknown;
    architecture?: unknown;
    config?: { Entrypoint?: unknown; Cmd?: unknown } | null;
  };
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json;
  } catch {
    throw new ArtifactError(`artifact: ${what} is not JSON`);
  }
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const os = typeof json.os === 'string' ? json.os : '';
  const arch = typeof json.architecture === 'string' ? json.architecture : '';
  return {
    platform: os && arch ? `${os}/${arch}` : '',
    entrypoint: strings(json.config?.Entrypoint),
    cmd: strings(json.config?.Cmd),
  };
}

/**
 * The binary's path in the image, as OpenBao's downloader takes it: the
 * `binary` input, else the ENTRYPOINT's first word, else the CMD's; made
 * relative to the image's root, and never outside it.
 */
export function binaryPath(
  config: ImageConfig,
  binaryInput: string,
  what: string,
): { path: string; from: string } {
  const [name, from] = binaryInput
    ? [binaryInput, 'the binary input']
    : config.entrypoint[0]
      ? [config.entrypoint[0], 'its ENTRYPOINT']
      : config.cmd[0]
        ? [config.cmd[0], 'its CMD']
        : ['', ''];
  if (!name) {
    throw new ArtifactError(
      `artifact: ${what} sets no ENTRYPOINT or CMD to name its plugin binary; name it with the binary input`,
    );
  }
  const path = posix.normalize(name).replace(/^\/+/, '');
  if (!path || path === '.' || path === '..' || path.startsWith('../') || path.length > MAX_PATH) {
    throw new ArtifactError(
      `artifact: ${from} names ${registryText(name)}, which is not a file in the image`,
    );
  }
  return { path, from };
}
