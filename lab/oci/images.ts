// Plugin images built and pushed with crane (built by test/lab/setup.sh into
// .lab/oci), as a plugin author's release workflow would push them: gzipped
// layers holding the plugin binary, an entrypoint naming it or not, a
// platform, and indexes of several platforms.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTarGz, type Member } from '../archives.ts';
import { ociTool } from './registry.ts';

const run = promisify(execFile);

export interface ImageSpec {
  /** `127.0.0.1:port` of the registry. */
  registry: string;
  repository: string;
  tag: string;
  /** The files of each layer, the base layer first. */
  layers: readonly (readonly Member[])[];
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  /** `os/arch` written into the image's configuration; none by default. */
  platform?: string;
}

export interface IndexSpec {
  registry: string;
  repository: string;
  tag: string;
  /** Image references, each listed with the platform of its configuration. */
  manifests: readonly string[];
}

/** Where crane reads registry credentials: a DOCKER_CONFIG directory. */
export interface Crane {
  dockerConfig: string;
  /** Pushes an image and returns its digest, `sha256:…`. */
  pushImage(image: ImageSpec): Promise<string>;
  pushIndex(index: IndexSpec): Promise<string>;
  /** The manifest a reference resolves to, parsed. */
  manifest(reference: string): Promise<Manifest>;
  close(): Promise<void>;
}

export interface Manifest {
  mediaType?: string;
  config?: { digest: string; size: number };
  layers?: { digest: string; size: number; mediaType: string }[];
  manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
}

/**
 * A crane with its own DOCKER_CONFIG directory and HOME, so nothing of the
 * machine's own credentials is used; `auths` are written there as
 * `docker login` writes them.
 */
export async function makeCrane(
  auths: Readonly<Record<string, { user: string; password: string }>> = {},
): Promise<Crane> {
  const home = await mkdtemp(join(tmpdir(), 'lab-crane-'));
  await writeFile(join(home, 'config.json'), dockerConfigJson(auths));
  const crane = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(ociTool('crane'), args, {
      env: { PATH: process.env.PATH ?? '', HOME: home, DOCKER_CONFIG: home },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  };
  return {
    dockerConfig: home,
    pushImage: async (image) => {
      const reference = `${image.registry}/${image.repository}:${image.tag}`;
      const layers = await mkdtemp(join(home, 'layers-'));
      const files = image.layers.map((_, i) => join(layers, `${i}.tar.gz`));
      await Promise.all(
        image.layers.map((members, i) => writeFile(files[i] ?? '', makeTarGz(members))),
      );
      await crane(
        'append',
        '--oci-empty-base',
        ...files.flatMap((f) => ['-f', f]),
        '-t',
        reference,
      );
      await rm(layers, { recursive: true });
      const changes = [
        ...(image.entrypoint ? [`--entrypoint=${image.entrypoint.join(',')}`] : []),
        ...(image.cmd ? [`--cmd=${image.cmd.join(',')}`] : []),
        ...(image.platform ? [`--set-platform=${image.platform}`] : []),
      ];
      if (changes.length > 0) await crane('mutate', reference, ...changes, '-t', reference);
      return crane('digest', reference);
    },
    pushIndex: async (index) => {
      const reference = `${index.registry}/${index.repository}:${index.tag}`;
      await crane('index', 'append', ...index.manifests.flatMap((m) => ['-m', m]), '-t', reference);
      return crane('digest', reference);
    },
    manifest: async (reference) => JSON.parse(await crane('manifest', reference)) as Manifest,
    close: () => rm(home, { recursive: true, force: true }),
  };
}

/** `~/.docker/config.json` as `docker login` writes it: base64 of user:password per registry host. */
export function dockerConfigJson(
  auths: Readonly<Record<string, { user: string; password: string }>>,
): string {
  const entries: Record<string, { auth: string }> = {};
  for (const [host, { user, password }] of Object.entries(auths)) {
    entries[host] = { auth: Buffer.from(`${user}:${password}`).toString('base64') };
  }
  return JSON.stringify({ auths: entries });
}
