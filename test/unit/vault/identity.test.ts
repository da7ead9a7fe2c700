import { describe, expect, it } from 'vitest';
import { describeIdentity, featuresOf, identify } from '../../../src/vault/identity.ts';

// Shapes as Vault 1.21.0 and OpenBao 2.7.2 answer sys/health, sys/leader and sys/ha-status
// (measured in the lab); Enterprise's from Vault's API documentation.
const VAULT_HEALTH = { version: '1.21.0', enterprise: false, standby: false };
const THREE = { data: { nodes: [{}, {}, {}] } };

describe('server identity', () => {
  it('names the server, its edition and how many nodes it has', () => {
    expect(describeIdentity(identify(VAULT_HEALTH, { ha_enabled: false }))).toBe(
      'Vault 1.21.0 community, single node',
    );
    expect(
      describeIdentity(identify(VAULT_HEALTH, { ha_enabled: true, is_self: true }, THREE)),
    ).toBe('Vault 1.21.0 community, 3 nodes');
    // An HA cluster whose standbys have not reported (or are down) is not a single node.
    expect(
      describeIdentity(
        identify(VAULT_HEALTH, { ha_enabled: true, is_self: true }, { data: { nodes: [{}] } }),
      ),
    ).toBe('Vault 1.21.0 community, 1 node');
    expect(
      describeIdentity(
        identify(
          { ...VAULT_HEALTH, standby: true },
          { ha_enabled: true, is_self: false, leader_address: 'http://127.0.0.1:8200' },
          THREE,
        ),
      ),
    ).toBe('Vault 1.21.0 community, 3 nodes, answered by a standby of http://127.0.0.1:8200');
    expect(
      describeIdentity(identify({ version: '2.7.2' }, { ha_enabled: true, is_self: true }, THREE)),
    ).toBe('OpenBao 2.7.2 community, 3 nodes');
  });

  it('knows which calls each server has', () => {
    const of = (health: Parameters<typeof identify>[0]) =>
      featuresOf(identify(health, { ha_enabled: false }));
    expect(of(VAULT_HEALTH)).toEqual({
      name: 'Vault 1.21.0',
      pins: true,
      pluginReload: true,
      connectionReload: true,
      reloadStatus: false,
    });
    expect(of({ version: '1.15.6', enterprise: false })).toMatchObject({
      pins: false,
      pluginReload: false,
    });
    // Enterprise's plugin reload also reaches namespaces the action never read; its global reloads report per node.
    expect(of({ version: '1.21.0+ent', enterprise: true })).toMatchObject({
      pins: true,
      pluginReload: false,
      reloadStatus: true,
    });
    expect(of({ version: '2.7.2' })).toEqual({
      name: 'OpenBao 2.7.2',
      pins: false,
      pluginReload: false,
      connectionReload: false,
      reloadStatus: false,
    });
  });
});
