// What the summary and the outputs tell of a plugin taken from an OCI image:
// the image and its digests, and OpenBao's `plugin` stanza for servers that
// pull the image themselves.
import type { ArtifactOrigin } from '../artifact/fetch.ts';
import { canonicalVersion } from '../domain/version.ts';
import { code } from './markdown.ts';
import type { Registration } from './registration.ts';
import { hclString } from './quote.ts';

type ImageOrigin = Extract<ArtifactOrigin, { kind: 'oci' }>;

export function imageLines(origin: ImageOrigin, reference: string): string[] {
  const lines = [`- Image ${code(reference)} (oci image), digest ${code(origin.digest)}`];
  if (origin.manifestDigest !== origin.digest) {
    lines.push(`- Manifest for ${code(origin.platform)}: ${code(origin.manifestDigest)}`);
  }
  lines.push('- Digests: every manifest and blob read matched the digest that names it');
  return lines;
}

/** The image fields of the `provenance` output; empty strings for other artifacts. */
export function imageRecord(origin: ArtifactOrigin): Record<string, string> {
  const image = origin.kind === 'oci' ? origin : null;
  return {
    image: image?.image ?? '',
    image_tag: image?.tag ?? '',
    image_digest: image?.digest ?? '',
    manifest_digest: image?.manifestDigest ?? '',
    image_platform: image?.platform ?? '',
  };
}

/**
 * OpenBao's declarative `plugin` block with `image`: OpenBao (2.5 or later)
 * pulls `image:version` itself, takes `binary_name` out of it and checks
 * `sha256sum`. `version` is both the tag it pulls and the catalog version,
 * so a tag that is not the plugin's version cannot go there.
 */
export function openBaoImageBlock(r: Registration, origin: ImageOrigin, binary: string): string {
  const tagIsVersion = origin.tag !== '' && sameVersion(origin.tag, r.version);
  const block = [
    `plugin ${hclString(r.pluginType)} ${hclString(r.pluginName)} {`,
    `  image       = ${hclString(origin.image)}`,
    `  version     = ${hclString(tagIsVersion ? origin.tag : r.version)}`,
    `  binary_name = ${hclString(binary)}`,
    `  sha256sum   = ${hclString(r.sha256)}`,
    '}',
  ].join('\n');
  return tagIsVersion
    ? block
    : `${block}\n# OpenBao pulls ${origin.image}:${r.version}: the image must also be tagged ${r.version}`;
}

function sameVersion(tag: string, version: string): boolean {
  try {
    return canonicalVersion(tag) === version;
  } catch {
    return false;
  }
}
