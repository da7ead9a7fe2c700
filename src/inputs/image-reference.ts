import { ConfigError } from '../domain/errors.ts';

/** `oci://REGISTRY/REPOSITORY:TAG`, `…@sha256:DIGEST`, or both, read apart. */
export interface ImageReference {
  /** `ghcr.io` or `127.0.0.1:5000`: the registry's host and port, lower case. */
  registry: string;
  /** `acme/acme-plugin` */
  repository: string;
  /** Empty when only a digest was given. */
  tag: string;
  /** `sha256:<hex>`, the pin; empty when only a tag was given. */
  digest: string;
}

const HOST = /^(localhost|\[[0-9a-f:]+\]|[a-z0-9-]+(\.[a-z0-9-]+)+)(:\d{1,5})?$/;
const COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isImageReference(artifact: string): boolean {
  return /^oci:\/\//i.test(artifact);
}

/**
 * Reads an image reference as Docker and OpenBao spell one, without their
 * defaults: the registry is always named (there is no implied docker.io)
 * and a tag or digest is required (there is no implied `latest`), since a
 * rollout must name exactly what it rolls out.
 */
export function parseImageReference(expanded: string, template: string): ImageReference {
  const bad = (why: string): ConfigError =>
    new ConfigError(
      `artifact: "${template}" is not an image reference (${why}); use oci://REGISTRY/REPOSITORY:TAG or oci://REGISTRY/REPOSITORY@sha256:DIGEST, e.g. oci://ghcr.io/acme/acme-plugin:v{version}`,
    );
  const rest = expanded.replace(/^oci:\/\//i, '');
  const slash = rest.indexOf('/');
  if (slash < 0) throw bad('no repository after the registry');
  const registry = rest.slice(0, slash).toLowerCase();
  if (!HOST.test(registry)) {
    throw bad(`"${registry}" is not a registry host such as ghcr.io or localhost:5000`);
  }
  let path = rest.slice(slash + 1);
  let digest = '';
  const at = path.indexOf('@');
  if (at >= 0) {
    digest = path.slice(at + 1);
    path = path.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not sha256: and 64 hex digits`);
  }
  const colon = path.lastIndexOf(':');
  const tagged = colon > path.lastIndexOf('/');
  const repository = tagged ? path.slice(0, colon) : path;
  const tag = tagged ? path.slice(colon + 1) : '';
  if (tagged && !TAG.test(tag)) throw bad(`"${tag}" is not a tag`);
  if (!repository.split('/').every((c) => COMPONENT.test(c))) {
    throw bad(`"${repository}" is not a repository: lower-case names separated by "/"`);
  }
  if (!tag && !digest) throw bad('it names neither a tag nor a digest');
  return { registry, repository, tag, digest };
}

/** The registry's base URL: plain http only for a registry on this machine, as Docker allows. */
export function registryOrigin(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const local = host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  return `${local ? 'http' : 'https'}://${registry}`;
}

/** `registry/repository:tag@digest`, as Docker prints a reference. */
export function describeReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Inputs that belong to release archives; an image is checked by its digests instead. */
export function refuseArchiveInputs(get: (name: string) => string): void {
  for (const name of ['checksums', 'gpg-public-key', 'release-tag', 'release-repository']) {
    if (get(name)) {
      throw new ConfigError(
        `${name}: not used with an oci:// artifact; an image is checked against the digests of its manifests and layers (pin one with @sha256:DIGEST)`,
      );
    }
  }
}
