// Behaviour profiles: which Docker release's libnetwork the engine imitates.
//
//   '27'      moby v27.5.1: filter-FORWARD holds per-bridge rules, DOCKER-ISOLATION-STAGE-1/2, a
//             DOCKER-USER chain ending in RETURN (re-arranged after every network create), nat-DOCKER
//             `-i BRIDGE -j RETURN` when the userland proxy is on, per-port MASQUERADE always,
//             container MACs 02:42 + the IPv4 address (netutils.GenerateMACFromIP).
//   '28.0'    moby v28.0.0 (the only release with ipsets: v28.0.1 replaced them with DOCKER-FORWARD /
//             DOCKER-BRIDGE / DOCKER-CT and deletes 28.0.0's FORWARD rules on start). The ipset
//             `docker-ext-bridges-v4` (hash:net) holds the subnet of every non-internal bridge;
//             filter-FORWARD: DOCKER-USER, `-m set --match-set docker-ext-bridges-v4 dst -m conntrack
//             --ctstate RELATED,ESTABLISHED -j ACCEPT`, DOCKER-ISOLATION-STAGE-1 (no RETURN rules),
//             `-m set --match-set docker-ext-bridges-v4 dst -j DOCKER`, then per bridge `-i BR -j
//             ACCEPT`; per published port a raw-PREROUTING DROP of direct access to the container port
//             from outside the bridge; DOCKER-USER (with RETURN) created once at controller start;
//             random container MACs. There is no DOCKER-FORWARD, DOCKER-CT, DOCKER-BRIDGE or
//             DOCKER-INTERNAL chain and no docker-int-bridges set in this release.
//   'current' moby master (daemon/libnetwork/drivers/bridge/internal/iptabler): DOCKER-FORWARD →
//             DOCKER-CT / DOCKER-INTERNAL / DOCKER-BRIDGE → DOCKER, raw-PREROUTING drops of packets
//             addressed to container addresses from outside the bridge, random container MACs,
//             DOCKER-USER created once at controller start with no RETURN rule.

export const PROFILE_IDS = ['27', '28.0', 'current'] as const;

/** Releases that exist in moby but are not modelled, with the reason `dockerd` reports. */
export const UNMODELLED_PROFILES: Readonly<Record<string, string>> = {};

/** moby v28.0.0 setup_ip_tables_linux.go ipsetExtBridges4. */
export const IPSET_EXT_BRIDGES_V4 = 'docker-ext-bridges-v4';
export type ProfileId = (typeof PROFILE_IDS)[number];

export interface Profile {
  readonly id: ProfileId;
  /**
   * How filter-FORWARD reaches the per-bridge rules: 'isolation' (27: per-bridge rules in FORWARD),
   * 'isolation-ipset' (28.0.0: two ipset-matching rules in FORWARD), 'docker-forward' (28.0.1+).
   */
  readonly forwardChains: 'isolation' | 'isolation-ipset' | 'docker-forward';
  /** Raw-table PREROUTING DROP of traffic to container addresses (28.2+, filterDirectAccess). */
  readonly rawDirectAccess: boolean;
  /** Container MAC: 02:42 + IPv4 (≤27) or random locally administered (28+). */
  readonly macFromIp: boolean;
  /** DOCKER-USER is set up again (EnsureJumpRule to the top) after each network (≤27). */
  readonly userChainReturnAndRearrange: boolean;
  /** DOCKER-USER ends in `-j RETURN` (AddReturnRule, ≤28.0). */
  readonly userChainReturn: boolean;
  /** Per published port, raw-PREROUTING DROP of direct access to the container port (28.0.0). */
  readonly rawDirectAccessPerPort: boolean;
  /**
   * A network setup failure at container start reads `failed to set up container networking: …`
   * (28.0.1+: daemon/start_linux.go initializeCreatedTask wraps allocateNetwork's error with
   * errSetupNetworking; v27.5.1 and v28.0.0 return it unwrapped).
   */
  readonly networkSetupErrorPrefix: boolean;
  /**
   * The daemon ranks endpoints by their `gw-priority` (EndpointSettings.GwPriority, API 1.48, moby
   * 28.0.0 daemon/network.go buildJoinOptions → JoinOptionPriority). v27.5.1 has no such field: the
   * value the CLI sends is dropped and every endpoint ranks with priority 0.
   */
  readonly gwPriority: boolean;
}

const PROFILES: Readonly<Record<ProfileId, Profile>> = {
  '27': {
    id: '27',
    forwardChains: 'isolation',
    rawDirectAccess: false,
    macFromIp: true,
    userChainReturnAndRearrange: true,
    userChainReturn: true,
    rawDirectAccessPerPort: false,
    networkSetupErrorPrefix: false,
    gwPriority: false,
  },
  '28.0': {
    id: '28.0',
    forwardChains: 'isolation-ipset',
    rawDirectAccess: false,
    macFromIp: false,
    userChainReturnAndRearrange: false,
    userChainReturn: true,
    rawDirectAccessPerPort: true,
    networkSetupErrorPrefix: false,
    gwPriority: true,
  },
  current: {
    id: 'current',
    forwardChains: 'docker-forward',
    rawDirectAccess: true,
    macFromIp: false,
    userChainReturnAndRearrange: false,
    userChainReturn: false,
    rawDirectAccessPerPort: false,
    networkSetupErrorPrefix: true,
    gwPriority: true,
  },
};

export function profile(id: ProfileId): Profile {
  return PROFILES[id];
}

export function isProfileId(s: string): s is ProfileId {
  return (PROFILE_IDS as readonly string[]).includes(s);
}
