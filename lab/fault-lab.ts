// The two rollouts the fault tests break, the servers they run on, and how one is run.
import { sha256File } from '../src/artifact/hash.ts';
import { fixtureBinary, type ServerKind } from './paths.ts';
import { startReleaseServer, type ReleaseServer } from './release-server.ts';
import { assetTemplate, pluginRelease } from './releases.ts';
import type { Scenario, ScenarioServer } from './rollout-state.ts';
import { runAction, type RunResult } from './runner.ts';
import { enableMount, installPlugin, type SeedTarget } from './seed.ts';

const GITHUB_TOKEN = 'ghs_faultlab';

/** A secret rollout over three mounts with a canary, one batch at a time and a probe; an auth one over three mounts at once. */
export interface Rollout {
  scenario: Scenario;
  repository: string;
  inputs: Record<string, string>;
}

export interface FaultLab {
  github: ReleaseServer;
  rollouts: Rollout[];
  /** Puts both plugins at v1.0.0 and their mounts on a fresh server. */
  seed(server: SeedTarget): Promise<void>;
  /** Runs the action against `url` (the server or a proxy in front of it) with a token. */
  run(
    url: string,
    server: ScenarioServer & { token: string },
    rollout: Rollout,
    extra?: Record<string, string>,
  ): Promise<RunResult>;
  close(): Promise<void>;
}

async function fixture(
  kind: ServerKind,
  plugin: 'secrets' | 'auth',
  name: string,
  version: string,
) {
  return {
    version,
    sha256: await sha256File(fixtureBinary(kind, plugin, version)),
    command: `${name}-${version}`,
  };
}

export async function startFaultLab(kind: ServerKind): Promise<FaultLab> {
  const github = await startReleaseServer({ token: GITHUB_TOKEN });
  const secret: Scenario = {
    type: 'secret',
    name: 'acme',
    mounts: ['s1', 's2', 'team/s3'],
    from: await fixture(kind, 'secrets', 'acme', 'v1.0.0'),
    to: await fixture(kind, 'secrets', 'acme', 'v1.0.1'),
  };
  const auth: Scenario = {
    type: 'auth',
    name: 'acme-auth',
    mounts: ['a1', 'a2', 'a3'],
    from: await fixture(kind, 'auth', 'acme-auth', 'v1.0.0'),
    to: await fixture(kind, 'auth', 'acme-auth', 'v1.0.1'),
  };
  github.publish({
    ...pluginRelease({
      server: kind,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
    repo: 'acme-secrets',
  });
  github.publish({
    ...pluginRelease({
      server: kind,
      name: 'acme-auth',
      kind: 'auth',
      version: 'v1.0.1',
      format: 'tar.gz',
    }),
    repo: 'acme-auth',
  });
  const rollouts: Rollout[] = [
    {
      scenario: secret,
      repository: 'acme/acme-secrets',
      inputs: {
        'plugin-type': 'secret',
        'plugin-name': 'acme',
        artifact: assetTemplate('acme', 'zip'),
        mounts: secret.mounts.join('\n'),
        canary: 's1',
        'batch-size': '1',
        probe: 'info',
      },
    },
    {
      scenario: auth,
      repository: 'acme/acme-auth',
      inputs: {
        'plugin-type': 'auth',
        'plugin-name': 'acme-auth',
        artifact: assetTemplate('acme-auth', 'tar.gz'),
        mounts: auth.mounts.join('\n'),
      },
    },
  ];
  return {
    github,
    rollouts,
    async seed(server) {
      await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
      await installPlugin(server, 'auth', 'acme-auth', 'auth', 'v1.0.0');
      for (const path of secret.mounts) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
      for (const path of auth.mounts)
        await enableMount(server, 'auth', path, 'acme-auth', 'v1.0.0');
    },
    run: (url, server, rollout, extra = {}) =>
      runAction({
        ref: 'refs/tags/v1.0.1',
        repository: rollout.repository,
        apiUrl: github.apiUrl,
        inputs: {
          url,
          token: server.token,
          'github-token': GITHUB_TOKEN,
          'plugin-directory': server.pluginDir,
          // Short enough that a lost answer is given up on and retried within a second or two.
          timeout: '8',
          ...rollout.inputs,
          ...extra,
        },
      }),
    close: () => github.close(),
  };
}

/**
 * A seeded pick of `count` of `items`, the same for the same seed: where the
 * full set of cells does not fit the time a run may take.
 */
export function sample<T>(items: readonly T[], count: number, seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, Math.min(count, pool.length));
}
