// Behaviour profiles: which Docker release's libnetwork the engine imitates.
//
//   '27'      moby v27.5.1: filter-FORWARD holds per-bridge rules, DOCKER-ISOLATION-STAGE-1/2, a
//             DOCKER-USER chain ending in RETURN (re-arranged after every network create), nat-DOCKER
//             `-i BRIDGE -j RETURN` when the userland proxy is on, per-port MASQUERADE always,
//             container MACs 02:42 + the IPv4 address (netutils.GenerateMACFromIP).
//   '28.0'    moby v28.0.0: DOCKER-FORWARD, DOCKER-BRIDGE, DOCKER-CT, DOCKER-INTERNAL and the
//             `docker-ext-bridges-v4` ipset. Modelled as 'current' minus the raw-table direct-access
//             rules (28.2.0); the ipset rules are not modelled (netsim has no ipset) — see the report.
//   'current' moby master (daemon/libnetwork/drivers/bridge/internal/iptabler): DOCKER-FORWARD →
//             DOCKER-CT / DOCKER-INTERNAL / DOCKER-BRIDGE → DOCKER, raw-PREROUTING drops of packets
//             addressed to container addresses from outside the bridge, random container MACs,
//             DOCKER-USER created once at controller start with no RETURN rule.

export const PROFILE_IDS = ['27', '28.0', 'current'] as const;
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
  '28.0': {
    id: '28.0',
    forwardChains: 'docker-forward',
    rawDirectAccess: false,
    macFromIp: false,
    userChainReturnAndRearrange: false,
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
