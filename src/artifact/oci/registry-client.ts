import type { Dispatcher } from 'undici';
import { ArtifactError } from '../../domain/errors.ts';
import { followGet } from '../../http/get.ts';
import { download, type Downloaded } from '../download.ts';
import { parseChallenge, realmProblem, type Challenge } from './challenge.ts';
import type { RegistryCredential } from './credentials.ts';
import { registryOrigin, type ImageReference } from '../../inputs/image-reference.ts';

/** The largest manifest, index or image configuration read; registries refuse manifests over 4 MiB. */
const MAX_DOCUMENT = 4 * 1024 * 1024;
const MAX_TOKEN_ANSWER = 64 * 1024;

export interface Document {
  body: Buffer;
  contentType: string;
  /** The registry's Docker-Content-Digest header; empty when it sent none. */
  digestHeader: string;
}

export interface ClientContext {
  mask: (secret: string) => void;
  log: (line: string) => void;
}

/**
 * Speaks the OCI distribution API to one repository. The registry's
 * challenge is answered once: Bearer by asking the token service it names
 * (with the credential, when there is one), Basic with the credential
 * itself. What is then sent as Authorization goes to the registry's own
 * origin only: a redirect to blob storage elsewhere gets the request
 * without it, as every download of the action does (src/web.ts).
 */
export class RegistryClient {
  private readonly origin: string;
  private readonly ref: ImageReference;
  private readonly credential: RegistryCredential | null;
  private readonly ctx: ClientContext;
  private authorization = '';
  /** How the registry was answered, for its refusal: `the token …` or `the credential …`. */
  private presented = '';

  constructor(ref: ImageReference, credential: RegistryCredential | null, ctx: ClientContext) {
    this.origin = registryOrigin(ref.registry);
    this.ref = ref;
    this.credential = credential;
    this.ctx = ctx;
  }

  /** A manifest or index by tag or digest, as the registry sent it. */
  async manifest(reference: string, accept: readonly string[]): Promise<Document> {
    const what = `the manifest ${this.ref.repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
    const { response, url } = await this.get(`manifests/${reference}`, accept.join(', '), what);
    const status = response.statusCode;
    if (status === 404) {
      await response.body.dump();
      throw new ArtifactError(
        reference.startsWith('sha256:')
          ? `artifact: ${this.ref.registry} has no manifest ${reference} in ${this.ref.repository} (HTTP 404)`
          : `artifact: ${this.ref.registry} has no tag ${reference} in ${this.ref.repository} (HTTP 404); check the tag the release workflow pushed`,
      );
    }
    await refuseStatus(response, url, what);
    return {
      body: await readLimited(response, MAX_DOCUMENT, what),
      contentType: header(response, 'content-type'),
      digestHeader: header(response, 'docker-content-digest'),
    };
  }

  /** A small blob (the image configuration), read into memory. */
  async smallBlob(digest: string): Promise<Buffer> {
    const what = `the image configuration ${digest}`;
    const { response, url } = await this.get(`blobs/${digest}`, '*/*', what);
    await refuseStatus(response, url, what);
    return readLimited(response, MAX_DOCUMENT, what);
  }

  /**
   * A layer streamed to disk and hashed on the way, through the action's
   * download (its proxy, redirect and size rules). The registry's own
   * challenge was answered when the manifest was read.
   */
  async blobToDisk(
    digest: string,
    label: string,
    maxBytes: number,
    directory: string,
  ): Promise<Downloaded> {
    return download({
      url: this.url(`blobs/${digest}`).href,
      label,
      ...this.credentialForRegistry(),
      maxBytes,
      directory,
    });
  }

  /** The Authorization the registry's challenge earned, bound to the registry's origin alone. */
  private credentialForRegistry(): { credential?: { authorization: string; origin: string } } {
    return this.authorization
      ? { credential: { authorization: this.authorization, origin: this.origin } }
      : {};
  }

  private url(path: string): URL {
    return new URL(`${this.origin}/v2/${this.ref.repository}/${path}`);
  }

  private async get(
    path: string,
    accept: string,
    what: string,
  ): Promise<{ response: Dispatcher.ResponseData; url: URL }> {
    const first = await this.send(path, accept, what);
    if (!this.challengedByRegistry(first)) return first;
    await first.response.body.dump();
    // Challenged although answered before: what the registry was given is refused.
    if (this.authorization) throw this.refusal();
    await this.answer(parseChallenge(header(first.response, 'www-authenticate')));
    const second = await this.send(path, accept, what);
    if (!this.challengedByRegistry(second)) return second;
    await second.response.body.dump();
    throw this.refusal();
  }

  private send(
    path: string,
    accept: string,
    what: string,
  ): Promise<{ response: Dispatcher.ResponseData; url: URL }> {
    return followGet(this.url(path), {
      headers: { accept },
      ...this.credentialForRegistry(),
      what: `reading ${what} from ${this.ref.registry}`,
    });
  }

  /** A 401 from anyone but the registry (blob storage it redirected to) is that host's answer, not a challenge to answer. */
  private challengedByRegistry(answer: { response: Dispatcher.ResponseData; url: URL }): boolean {
    return answer.response.statusCode === 401 && answer.url.origin === this.origin;
  }

  private refusal(): ArtifactError {
    const who = this.presented || 'anonymous access';
    return new ArtifactError(
      `artifact: ${this.ref.registry} refused ${who} for ${this.ref.repository} (HTTP 401)`,
    );
  }

  private async answer(challenge: Challenge | null): Promise<void> {
    const registry = this.ref.registry;
    if (challenge?.scheme === 'basic') {
      if (!this.credential) {
        throw new ArtifactError(
          `artifact: ${registry} needs a login for ${this.ref.repository}; log in with docker login in a step before this one (or give github-token for ghcr.io)`,
        );
      }
      this.authorization = basic(this.credential);
      this.ctx.mask(this.authorization);
      this.presented = `the credential from ${this.credential.source}`;
      return;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new ArtifactError(
        `artifact: ${registry} answered 401 without a Bearer or Basic challenge the action can answer`,
      );
    }
    const problem = realmProblem(challenge.params.realm, this.origin);
    if (problem) {
      throw new ArtifactError(`artifact: ${registry} is not asked for a token: ${problem}`);
    }
    const token = await this.askToken(challenge.params);
    this.ctx.mask(token);
    this.authorization = `Bearer ${token}`;
    this.presented = this.credential
      ? `the token from its token service (credential from ${this.credential.source})`
      : 'the anonymous token from its token service';
  }

  private async askToken(params: Record<string, string>): Promise<string> {
    const realm = new URL(params.realm ?? '');
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope || `repository:${this.ref.repository}:pull`);
    const what = `a token for ${this.ref.repository} from ${realm.host}`;
    const { response } = await followGet(realm, {
      headers: { accept: 'application/json' },
      ...(this.credential
        ? { credential: { authorization: basic(this.credential), origin: realm.origin } }
        : {}),
      what: `asking ${what}`,
    });
    const status = response.statusCode;
    if (status === 401 || status === 403) {
      await response.body.dump();
      throw new ArtifactError(
        this.credential
          ? `artifact: the token service ${realm.host} refused the credential from ${this.credential.source} for ${this.ref.repository} (HTTP ${status})`
          : `artifact: the token service ${realm.host} refused anonymous access to ${this.ref.repository} (HTTP ${status}); log in with docker login in a step before this one (or give github-token for ghcr.io)`,
      );
    }
    if (status !== 200) {
      await response.body.dump();
      throw new ArtifactError(`artifact: asking ${what} failed: HTTP ${status}`);
    }
    const body = await readLimited(response, MAX_TOKEN_ANSWER, what);
    let answer: { token?: unknown; access_token?: unknown };
    try {
      answer = JSON.parse(body.toString('utf8')) as typeof answer;
    } catch {
      throw new ArtifactError(`artifact: ${what}: the answer is not JSON`);
    }
    const token = typeof answer.token === 'string' ? answer.token : answer.access_token;
    if (typeof token !== 'string' || !token) {
      throw new ArtifactError(`artifact: ${what}: the answer holds no token`);
    }
    return token;
  }
}

function basic(credential: RegistryCredential): string {
  return `Basic ${Buffer.from(`${credential.user}:${credential.password}`).toString('base64')}`;
}

function header(response: Dispatcher.ResponseData, name: string): string {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

async function refuseStatus(
  response: Dispatcher.ResponseData,
  url: URL,
  what: string,
): Promise<void> {
  const status = response.statusCode;
  if (status >= 200 && status < 300) return;
  await response.body.dump();
  throw new ArtifactError(`artifact: reading ${what} failed: HTTP ${status} from ${url.host}`);
}

/** The body, refused as soon as it passes `limit` bytes. */
async function readLimited(
  response: Dispatcher.ResponseData,
  limit: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      response.body.destroy();
      throw new ArtifactError(`artifact: ${what} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
