import { coerce, gte } from 'semver';
import { PreflightError, VaultError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';

/** Which server this is; the reload strategy depends on it (see DESIGN: Reload and scope). */
export interface ServerIdentity {
  product: 'Vault' | 'OpenBao';
  edition: 'community' | 'Enterprise';
  version: string;
  haRole: 'single node' | 'active node' | 'standby' | 'performance standby';
  leaderAddress: string;
  /** The cluster sys/health names: one id for every node of a cluster, another for every other cluster. */
  clusterId: string;
  clusterName: string;
  /**
   * Nodes sys/ha-status lists (those that reported to the active node
   * lately); 1 without HA; `null` when the token may not read it.
   */
  nodes: number | null;
}

export interface HealthResponse {
  version?: string;
  enterprise?: boolean;
  standby?: boolean;
  performance_standby?: boolean;
  cluster_id?: string;
  cluster_name?: string;
}

export interface LeaderResponse {
  ha_enabled?: boolean;
  is_self?: boolean;
  leader_address?: string;
}

/** Shape from Vault's sys/ha-status API documentation; OpenBao 2.7.2 answers the same. */
export interface HaStatusResponse {
  data?: { nodes?: unknown[] };
}

/**
 * Vault's sys/health carries an `enterprise` field (true on Enterprise, whose
 * versions also end in `+ent`); OpenBao 2.7.2 answers without it.
 */
export function identify(
  health: HealthResponse,
  leader: LeaderResponse,
  haStatus: HaStatusResponse | null = null,
): ServerIdentity {
  const isVault = typeof health.enterprise === 'boolean';
  const version = health.version ?? '';
  const enterprise = health.enterprise === true || /\+ent\b/.test(version);
  let haRole: ServerIdentity['haRole'] = 'single node';
  if (leader.ha_enabled) {
    if (leader.is_self) haRole = 'active node';
    else haRole = health.performance_standby ? 'performance standby' : 'standby';
  }
  const listed = haStatus?.data?.nodes?.length ?? 0;
  return {
    product: isVault ? 'Vault' : 'OpenBao',
    edition: enterprise ? 'Enterprise' : 'community',
    version,
    haRole,
    leaderAddress: leader.ha_enabled ? (leader.leader_address ?? '') : '',
    clusterId: health.cluster_id ?? '',
    clusterName: health.cluster_name ?? '',
    nodes: leader.ha_enabled ? (listed > 0 ? listed : null) : 1,
  };
}

/**
 * `Vault 1.21.0 community, single node` (no HA), `Vault 1.21.0 community,
 * 3 nodes`, and for a standby that answered, whose leader it follows.
 */
export function describeIdentity(identity: ServerIdentity): string {
  const size =
    identity.haRole === 'single node'
      ? 'single node'
      : identity.nodes === null
        ? 'HA cluster'
        : `${String(identity.nodes)} node${identity.nodes === 1 ? '' : 's'}`;
  const standby =
    identity.haRole === 'standby' || identity.haRole === 'performance standby'
      ? `, answered by a ${identity.haRole} of ${identity.leaderAddress || 'an unknown leader'}`
      : '';
  return `${identity.product} ${identity.version} ${identity.edition}, ${size}${standby}`;
}

/** The node count a global reload on Vault Enterprise is followed until. */
export function clusterSize(identity: ServerIdentity): number {
  if (identity.nodes === null) {
    throw new PreflightError(
      `permission: the token lacks "read" on ${routes.haStatus.path} (needed to follow a global reload until every node of the cluster reported)`,
    );
  }
  return identity.nodes;
}

/** What the server offers beyond the catalog, tune and mount reload every version has. */
export interface ServerFeatures {
  /** For messages: `Vault 1.21.0`, `OpenBao 2.7.2`. */
  name: string;
  /** sys/plugins/pins (Vault 1.16+; OpenBao has none). */
  pins: boolean;
  /**
   * POST sys/plugins/reload/<type>/<name> (Vault 1.16+) reloads every mount of
   * the plugin in every namespace. Only where the server has one namespace
   * (community edition) does "every mount the action found" equal "every
   * mount it reloads".
   */
  pluginReload: boolean;
  /** <db-mount>/reload/<plugin> restarts every connection of a plugin under one mount (Vault; OpenBao answers 404). */
  connectionReload: boolean;
  /**
   * sys/plugins/reload/backend/status follows a global reload node by node:
   * Vault Enterprise only (community edition answers 404 "enterprise-only
   * feature" and reloads only the node that answered; OpenBao has no path).
   */
  reloadStatus: boolean;
}

export function featuresOf(identity: ServerIdentity): ServerFeatures {
  const vault = identity.product === 'Vault';
  const since = (minimum: string): boolean => {
    const parsed = coerce(identity.version);
    return parsed !== null && gte(parsed, minimum);
  };
  return {
    name: `${identity.product} ${identity.version}`,
    pins: vault && since('1.16.0'),
    pluginReload: vault && since('1.16.0') && identity.edition === 'community',
    connectionReload: vault,
    reloadStatus: vault && identity.edition === 'Enterprise',
  };
}

/** sys/health and sys/leader are unauthenticated and exist only in the root namespace. */
export async function readIdentity(client: VaultClient): Promise<ServerIdentity> {
  const [health, leader] = await Promise.all([
    client.read<HealthResponse>(routes.health, {
      standbyok: 'true',
      perfstandbyok: 'true',
      sealedcode: '200',
      uninitcode: '200',
      drsecondarycode: '200',
      performancestandbycode: '200',
    }),
    client.read<LeaderResponse>(routes.leader),
  ]);
  const haStatus = leader?.ha_enabled ? await readHaStatus(client) : null;
  return identify(health ?? {}, leader ?? {}, haStatus);
}

/** The node count only names the cluster in the summary: a token that may not read it still rolls out. */
async function readHaStatus(client: VaultClient): Promise<HaStatusResponse | null> {
  try {
    return await client.read<HaStatusResponse>(routes.haStatus);
  } catch (error) {
    if (error instanceof VaultError && error.status === 403) return null;
    throw error;
  }
}
