// Interface addresses (`ip addr`) and the kernel routes they imply.
//
// Heads up: read net/ipv4/devinet.c (`__inet_insert_ifa`, `__inet_del_ifa`, `inet_select_addr`,
// `inetdev_event`) and net/ipv4/fib_frontend.c (`fib_add_ifaddr`, `fib_magic`) before changing this.
// Verified on Linux 6.18 / iproute2 6.1 in fresh namespaces:
// - A second address inside the subnet of a primary becomes `secondary`; it must have the primary's
//   scope ("Error: ipv4: Invalid scope value."). A new primary is inserted after the last primary whose
//   scope is not narrower than its own (so a `scope link` address lists before global ones); secondaries
//   are appended. Deleting a primary deletes its secondaries (promote_secondaries = 0).
// - Routes (`fib_add_ifaddr`): always `local ADDR` in table local (src = the primary); only while the
//   device is up: `broadcast BRD` for an explicit broadcast, and for a primary the prefix route
//   (`proto kernel scope link src ADDR` in main; type local in table local on loopback) plus
//   `broadcast PREFIX|~MASK` when plen < 31. No network-address broadcast route (removed in 5.x).
//   Going down removes every route through the device except host-scope ones (`fib_sync_down_dev`).
// - Bringing `lo` up assigns 127.0.0.1/8 scope host when it has no address (`inetdev_event`).

import type { Device } from '../device.js';
import { DevKind } from '../device.js';
import { SCOPE } from './fib.js';

export interface IfAddr {
  devId: number;
  local: number;
  plen: number;
  /** Explicit broadcast (IFA_BROADCAST), 0 when none. */
  broadcast: number;
  scope: number;
  label: string;
  secondary: boolean;
}

function maskOf(plen: number): number {
  return plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
}

/** Does `addr` fall in the subnet of `ifa` (`inet_ifa_match`)? */
export function ifaMatch(addr: number, ifa: IfAddr): boolean {
  const m = maskOf(ifa.plen);
  return (addr & m) >>> 0 === (ifa.local & m) >>> 0;
}

export class AddrTable {
  /** Addresses per device id, in the kernel's list order. */
  readonly byDev = new Map<number, IfAddr[]>();
  /** Bumped on every change. */
  generation = 0;

  constructor(private readonly devicesOf: () => readonly Device[]) {}

  list(devId: number): readonly IfAddr[] {
    return this.byDev.get(devId) ?? [];
  }

  /** Is `addr` configured on device `devId`? */
  hasOnDev(devId: number, addr: number): boolean {
    for (const a of this.list(devId)) if (a.local === addr) return true;
    return false;
  }

  /** arp_ignore=2: `addr` on `devId` and `peer` inside that address's subnet. */
  hasOnDevSubnet(devId: number, addr: number, peer: number): boolean {
    for (const a of this.list(devId)) if (a.local === addr && ifaMatch(peer, a)) return true;
    return false;
  }

  /** Is `peer` inside the subnet of an address on `devId` (`inet_confirm_addr` with local 0)? */
  subnetOnDev(devId: number, peer: number): boolean {
    for (const a of this.list(devId)) if (ifaMatch(peer, a)) return true;
    return false;
  }

  /** Finds the primary address of `devId` covering (prefix, plen) (`inet_ifa_byprefix`). */
  primaryFor(devId: number, local: number, plen: number): IfAddr | undefined {
    const m = maskOf(plen);
    for (const a of this.list(devId)) {
      if (!a.secondary && a.plen === plen && (a.local & m) >>> 0 === (local & m) >>> 0) return a;
    }
    return undefined;
  }

  /**
   * `__inet_insert_ifa`. Returns an error message in iproute2's wording, or null on success.
   */
  add(ifa: IfAddr): string | null {
    let list = this.byDev.get(ifa.devId);
    if (list === undefined) {
      list = [];
      this.byDev.set(ifa.devId, list);
    }
    const m = maskOf(ifa.plen);
    let lastPrimary = 0;
    ifa.secondary = false;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (!a.secondary && ifa.scope <= a.scope) lastPrimary = i + 1;
      if (a.plen === ifa.plen && (a.local & m) >>> 0 === (ifa.local & m) >>> 0) {
        if (a.local === ifa.local) return 'Error: ipv4: Address already assigned.';
        if (a.scope !== ifa.scope) return 'Error: ipv4: Invalid scope value.';
        ifa.secondary = true;
      }
    }
    if (ifa.secondary) list.push(ifa);
    else list.splice(lastPrimary, 0, ifa);
    this.generation++;
    return null;
  }

  /** `__inet_del_ifa` (promote_secondaries = 0: a primary takes its secondaries with it). */
  remove(ifa: IfAddr): void {
    const list = this.byDev.get(ifa.devId);
    if (list === undefined) return;
    const i = list.indexOf(ifa);
    if (i < 0) return;
    list.splice(i, 1);
    if (!ifa.secondary) {
      const m = maskOf(ifa.plen);
      for (let j = list.length - 1; j >= 0; j--) {
        const a = list[j]!;
        if (a.secondary && a.plen === ifa.plen && (a.local & m) >>> 0 === (ifa.local & m) >>> 0)
          list.splice(j, 1);
      }
    }
    if (list.length === 0) this.byDev.delete(ifa.devId);
    this.generation++;
  }

  removeDevice(devId: number): void {
    if (this.byDev.delete(devId)) this.generation++;
  }

  /**
   * Is `addr` one of the namespace's interface addresses (`inet_lookup_ifaddr`)? `addr` as u32 or
   * int32 (the hot path passes int32, which V8 never boxes).
   */
  isIfAddr(addr: number): boolean {
    const a32 = addr >>> 0;
    for (const list of this.byDev.values()) for (const a of list) if (a.local === a32) return true;
    return false;
  }

  /**
   * `inet_select_addr(dev, dst, scope)`: the first primary address of `dev` whose scope is not
   * narrower than `scope`, preferring one whose subnet contains `dst`; failing that, the first
   * suitable non-link, non-host address of any device, loopback first. 0 when there is none.
   */
  selectAddr(dev: Device, dst: number, scope: number): number {
    let addr = 0;
    for (const a of this.list(dev.id)) {
      if (a.secondary) continue;
      if (a.scope > scope) continue;
      if (dst === 0 || ifaMatch(dst, a)) return a.local;
      if (addr === 0) addr = a.local;
    }
    if (addr !== 0) return addr;
    const devs = this.devicesOf();
    const order: Device[] = [];
    for (const d of devs) if (d.kind === DevKind.Loopback) order.push(d);
    for (const d of devs) if (d.kind !== DevKind.Loopback) order.push(d);
    for (const d of order) {
      for (const a of this.list(d.id)) {
        if (a.secondary) continue;
        if (a.scope !== SCOPE.Link && a.scope <= scope) return a.local;
      }
    }
    return 0;
  }
}
