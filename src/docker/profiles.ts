// Behaviour profiles: which Docker release's libnetwork the engine imitates.
//
//   '27'      moby v27.5.1: filter-FORWARD holds per-bridge rules, DOCKER-ISOLATION-STAGE-1/2, a
//             DOCKER-USER chain ending in RETURN (re-arranged after every network create), nat-DOCKER
//             `-i BRIDGE -j RETURN` when the userland proxy is on, per-port MASQUERADE always,
//             container MACs 02:42 + the IPv4 address (netutils.GenerateMACFromIP).
//   '28.0'    NOT MODELLED. moby v28.0.0 keeps DOCKER-ISOLATION-STAGE-1/2 but jumps from
//             filter-FORWARD to DOCKER and accepts related traffic through the ipset
//             `docker-ext-bridges-v4` (`-m set --match-set docker-ext-bridges-v4 dst`), and netsim has
//             neither ipset nor the set match yet; `dockerd --netsim-profile=28.0` says so.
//   'current' moby master (daemon/libnetwork/drivers/bridge/internal/iptabler): DOCKER-FORWARD →
//             DOCKER-CT / DOCKER-INTERNAL / DOCKER-BRIDGE → DOCKER, raw-PREROUTING drops of packets
//             addressed to container addresses from outside the bridge, random container MACs,
//             DOCKER-USER created once at controller start with no RETURN rule.

export const PROFILE_IDS = ['27', 'current'] as const;

/** Releases that exist in moby but are not modelled, with the reason `dockerd` reports. */
export const UNMODELLED_PROFILES: Readonly<Record<string, string>> = {
  '28.0':
    'profile 28.0 needs the ipset docker-ext-bridges-v4 and iptables -m set (moby v28.0.0 setup_ip_tables_linux.go), which netsim does not model yet; use 27 or current',
};
export type ProfileId = (typeof PROFILE_IDS)[number];

export interface Profile {
  readonly id: ProfileId;
  /** Chains the driver creates (filter table), in creation order. */
  readonly forwardChains: 'isolation' | 'docker-forward';
  /** Raw-table PREROUTING DROP of traffic to container addresses (28.2+, filterDirectAccess). */
  readonly rawDirectAccess: boolean;
  /** Container MAC: 02:42 + IPv4 (≤27) or random locally administered (28+). */
  readonly macFromIp: boolean;
  /** DOCKER-USER gets `-j RETURN` and is re-inserted at the top after each network (≤27). */
  readonly userChainReturnAndRearrange: boolean;
}

const PROFILES: Readonly<Record<ProfileId, Profile>> = {
  '27': {
    id: '27',
    forwardChains: 'isolation',
    rawDirectAccess: false,
    macFromIp: true,
    userChainReturnAndRearrange: true,
  },
  current: {
    id: 'current',
    forwardChains: 'docker-forward',
    rawDirectAccess: true,
    macFromIp: false,
    userChainReturnAndRearrange: false,
  },
};

export function profile(id: ProfileId): Profile {
  return PROFILES[id];
}

export function isProfileId(s: string): s is ProfileId {
  return (PROFILE_IDS as readonly string[]).includes(s);
}
