import type { VaultClient } from './client.ts';

/** Which server this is; the reload strategy depends on it (see DESIGN: Reload and scope). */
export interface ServerIdentity {
  product: 'Vault' | 'OpenBao';
  edition: 'community' | 'Enterprise';
  version: string;
  haRole: 'single node' | 'active node' | 'standby' | 'performance standby';
  leaderAddress: string;
}

export interface HealthResponse {
  version?: string;
  enterprise?: boolean;
  standby?: boolean;
  performance_standby?: boolean;
}

export interface LeaderResponse {
  ha_enabled?: boolean;
  is_self?: boolean;
  leader_address?: string;
}

/**
 * Vault's sys/health carries an `enterprise` field (true on Enterprise, whose
 * versions also end in `+ent`); OpenBao 2.7.2 answers without it.
 */
export function identify(health: HealthResponse, leader: LeaderResponse): ServerIdentity {
  const isVault = typeof health.enterprise === 'boolean';
  const version = health.version ?? '';
  const enterprise = health.enterprise === true || /\+ent\b/.test(version);
  let haRole: ServerIdentity['haRole'] = 'single node';
  if (leader.ha_enabled) {
    if (leader.is_self) haRole = 'active node';
    else haRole = health.performance_standby ? 'performance standby' : 'standby';
  }
  return {
    product: isVault ? 'Vault' : 'OpenBao',
    edition: enterprise ? 'Enterprise' : 'community',
    version,
    haRole,
    leaderAddress: leader.ha_enabled ? (leader.leader_address ?? '') : '',
  };
}

export function describeIdentity(identity: ServerIdentity): string {
  const leader =
    identity.haRole === 'standby' || identity.haRole === 'performance standby'
      ? ` of ${identity.leaderAddress || 'an unknown leader'}`
      : '';
  return `${identity.product} ${identity.version} ${identity.edition}, ${identity.haRole}${leader}`;
}

/** Both endpoints are unauthenticated and exist only in the root namespace. */
export async function readIdentity(client: VaultClient): Promise<ServerIdentity> {
  const [health, leader] = await Promise.all([
    client.read<HealthResponse>(
      'sys/health',
      {
        standbyok: 'true',
        perfstandbyok: 'true',
        sealedcode: '200',
        uninitcode: '200',
        drsecondarycode: '200',
        performancestandbycode: '200',
      },
      { root: true },
    ),
    client.read<LeaderResponse>('sys/leader', {}, { root: true }),
  ]);
  return identify(health ?? {}, leader ?? {});
}
