// The plugin images the end-to-end tests roll out, pushed with crane to
// the lab's registries: each layout a plugin author may publish, and the
// broken ones a rollout must refuse. Every binary is a fixture plugin built
// by test/lab/setup.sh for the server under test.
import { readFile } from 'node:fs/promises';
import { fixtureBinary, type ServerKind } from '../paths.ts';
import type { Crane } from './images.ts';

/** One image as a test names it, with the digest its reference resolves to. */
export interface PushedImage {
  /** `oci://host/repository:tag`, the artifact input. */
  artifact: string;
  /** `host/repository`, as OpenBao's `image` names it. */
  image: string;
  tag: string;
  digest: string;
}

export interface PluginImages {
  /** One platform (linux/amd64), the binary named by CMD; secrets v1.0.1. */
  single: PushedImage;
  /** An index of linux/amd64 (secrets v1.1.0) and linux/arm64; ENTRYPOINT names the binary. */
  multi: PushedImage;
  /**
   * Two layers: the base holds an older binary at the same path, the top one
   * the binary ENTRYPOINT names (usr/local/bin/acme-plugin, secrets v1.0.1)
   * beside a README; the top layer wins, as in a container.
   */
  entrypoint: PushedImage;
  /** No ENTRYPOINT or CMD, two executables: the `binary` input must name `acme` (secrets v1.0.1). */
  named: PushedImage;
  /** An index with linux/arm64 and darwin/arm64 only. */
  armOnly: PushedImage;
  /** The single image's one layer, as a tampering front alters it. */
  singleLayerDigest: string;
}

const PLATFORM = 'linux/amd64';

export async function pushPluginImages(
  crane: Crane,
  registry: string,
  server: ServerKind,
): Promise<PluginImages> {
  const [v100, v101, v110] = await Promise.all(
    ['v1.0.0', 'v1.0.1', 'v1.1.0'].map((v) => readFile(fixtureBinary(server, 'secrets', v))),
  );
  if (!v100 || !v101 || !v110) throw new Error('fixture binaries missing');
  const notes = Buffer.from('# acme\nA secrets plugin.\n');
  const push = async (
    repository: string,
    tag: string,
    digest: Promise<string>,
  ): Promise<PushedImage> => ({
    artifact: `oci://${registry}/${repository}:${tag}`,
    image: `${registry}/${repository}`,
    tag,
    digest: await digest,
  });
  const single = await push(
    'acme/single',
    'v1.0.1',
    crane.pushImage({
      registry,
      repository: 'acme/single',
      tag: 'v1.0.1',
      layers: [[{ name: 'acme', data: v101 }]],
      cmd: ['/acme'],
      platform: PLATFORM,
    }),
  );
  const platformImage = (tag: string, platform: string, data: Buffer): Promise<string> =>
    crane.pushImage({
      registry,
      repository: 'acme/multi',
      tag,
      layers: [[{ name: 'acme', data }]],
      entrypoint: ['/acme'],
      platform,
    });
  await platformImage('v1.1.0-amd64', PLATFORM, v110);
  await platformImage('v1.1.0-arm64', 'linux/arm64', notes);
  await platformImage('v1.1.0-darwin', 'darwin/arm64', notes);
  const multi = await push(
    'acme/multi',
    'v1.1.0',
    crane.pushIndex({
      registry,
      repository: 'acme/multi',
      tag: 'v1.1.0',
      manifests: [`${registry}/acme/multi:v1.1.0-arm64`, `${registry}/acme/multi:v1.1.0-amd64`],
    }),
  );
  const armOnly = await push(
    'acme/multi',
    'arm-only',
    crane.pushIndex({
      registry,
      repository: 'acme/multi',
      tag: 'arm-only',
      manifests: [`${registry}/acme/multi:v1.1.0-arm64`, `${registry}/acme/multi:v1.1.0-darwin`],
    }),
  );
  const entrypoint = await push(
    'acme/entrypoint',
    'v1.0.1',
    crane.pushImage({
      registry,
      repository: 'acme/entrypoint',
      tag: 'v1.0.1',
      layers: [
        [{ name: 'usr/local/bin/acme-plugin', data: v100 }],
        [
          { name: 'usr/local/bin/acme-plugin', data: v101 },
          { name: 'README.md', data: notes, mode: 0o644 },
        ],
      ],
      entrypoint: ['/usr/local/bin/acme-plugin', '-tls-skip-verify'],
      platform: PLATFORM,
    }),
  );
  const named = await push(
    'acme/named',
    'v1.0.1',
    crane.pushImage({
      registry,
      repository: 'acme/named',
      tag: 'v1.0.1',
      layers: [
        [
          { name: 'acme', data: v101 },
          { name: 'healthcheck', data: v100 },
        ],
      ],
      platform: PLATFORM,
    }),
  );
  const layer = (await crane.manifest(`${registry}/acme/single:v1.0.1`)).layers?.[0]?.digest;
  if (!layer) throw new Error('the single image has no layer');
  return { single, multi, entrypoint, named, armOnly, singleLayerDigest: layer };
}
