// br_netfilter as a loadable module: whether it is loaded and its per-namespace sysctls
// (net/bridge/br_netfilter_hooks.c: brnf_net, brnf_table, br_netfilter_sysctl_default). The packet
// path itself is in bridge.ts (BridgeDevice.brnf*) and the IPv4 layer (ip_sabotage_in).
//
// Facts (Linux 6.x, checked on 6.18):
// - The module is kernel-wide: netsim's world is one kernel, so `modprobe br_netfilter` in any
//   namespace loads it everywhere (`loadBrNetfilter`). Until then net.bridge.* does not exist and
//   `sysctl -w net.bridge.bridge-nf-call-iptables=1` fails with "cannot stat …" (`sysctl -e` ignores it).
// - Once loaded, every namespace (existing or new) has its own table with the module's defaults:
//   bridge-nf-call-{arptables,iptables,ip6tables} = 1, bridge-nf-filter-{vlan,pppoe}-tagged = 0,
//   bridge-nf-pass-vlan-input-dev = 0 (per-netns since Linux 5.3; before, the values were global).
// - A write of any non-zero integer stores 1 (brnf_sysctl_call_tables).
// - The hooks run in a namespace that has a bridge (brnf_device_event registers them when the
//   first bridge registers there); only bridged frames reach them, so "loaded" is all that matters here.
// - The bridge's own `nf_call_iptables` option (ip link … type bridge nf_call_iptables 1) also turns
//   the IPv4 hooks on for that bridge, but only while the module is loaded (no hooks otherwise).

import type { Namespace } from '../namespace.js';
import { defineSysctl, intSysctl } from '../sysctl.js';
import type { World } from '../world.js';

const loadedWorlds = new WeakSet<World>();

/** proc_dointvec, then brnf_sysctl_call_tables: any non-zero value is stored as 1. */
const parseInt32 = intSysctl(-2147483648, 2147483647);
const parseBrnf = (text: string): string | null => {
  const v = parseInt32(text);
  return v === null ? null : v === '0' ? '0' : '1';
};
const present = (ns: Namespace): boolean => loadedWorlds.has(ns.world);

export const BRNF_KEYS: readonly (readonly [string, string])[] = [
  ['net.bridge.bridge-nf-call-arptables', '1'],
  ['net.bridge.bridge-nf-call-iptables', '1'],
  ['net.bridge.bridge-nf-call-ip6tables', '1'],
  ['net.bridge.bridge-nf-filter-vlan-tagged', '0'],
  ['net.bridge.bridge-nf-filter-pppoe-tagged', '0'],
  ['net.bridge.bridge-nf-pass-vlan-input-dev', '0'],
];
for (const [key, initial] of BRNF_KEYS) defineSysctl({ key, initial, parse: parseBrnf, present });

/** Per-namespace switches the bridge reads per frame (struct brnf_net), 0 while the module is absent. */
export class BrnfNet {
  /** 1 once br_netfilter is loaded. */
  loaded = 0;
  callIptables = 0;
  callIp6tables = 0;
  callArptables = 0;
  filterVlanTagged = 0;
  passVlanIndev = 0;

  constructor(readonly ns: Namespace) {
    for (const [key] of BRNF_KEYS) ns.sysctl.watch(key, () => this.refresh());
    this.refresh();
  }

  refresh(): void {
    const sc = this.ns.sysctl;
    if (!loadedWorlds.has(this.ns.world)) {
      this.loaded = 0;
      this.callIptables = this.callIp6tables = this.callArptables = 0;
      this.filterVlanTagged = this.passVlanIndev = 0;
      return;
    }
    this.loaded = 1;
    this.callArptables = sc.getInt('net.bridge.bridge-nf-call-arptables');
    this.callIptables = sc.getInt('net.bridge.bridge-nf-call-iptables');
    this.callIp6tables = sc.getInt('net.bridge.bridge-nf-call-ip6tables');
    this.filterVlanTagged = sc.getInt('net.bridge.bridge-nf-filter-vlan-tagged');
    this.passVlanIndev = sc.getInt('net.bridge.bridge-nf-pass-vlan-input-dev');
  }
}

const perNs = new WeakMap<Namespace, BrnfNet>();

/** The namespace's br_netfilter switches (made on first use; bridges cache the object). */
export function brnfOf(ns: Namespace): BrnfNet {
  let b = perNs.get(ns);
  if (b === undefined) {
    b = new BrnfNet(ns);
    perNs.set(ns, b);
  }
  return b;
}

export function brNetfilterLoaded(world: World): boolean {
  return loadedWorlds.has(world);
}

/** `modprobe br_netfilter` (br_netfilter_init → register_pernet_subsys): every namespace gets its table. */
export function loadBrNetfilter(world: World): void {
  if (loadedWorlds.has(world)) return;
  loadedWorlds.add(world);
  for (const ns of world.namespaces) perNs.get(ns)?.refresh();
}
