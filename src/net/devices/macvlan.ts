// macvlan (drivers/net/macvlan.c): several devices with their own MACs on one parent ("lower") device.
//
// Heads up: read `macvlan_handle_frame`, `macvlan_process_broadcast`/`macvlan_broadcast`,
// `macvlan_queue_xmit`, `macvlan_open` and `macvlan_common_newlink` before changing behaviour.
//
// Receive (rx handler on the parent, `MacvlanPort.handleFrame`):
// - multicast/broadcast: from one of our private/passthru children (hairpinned back by the switch) it
//   goes back to that child only; otherwise a copy goes to every up child whose mode is in the mask
//   (external source: all modes; from a VEPA child: VEPA and bridge children but the source; from a
//   bridge child: VEPA children only, "bridge ports already saw the frame on the way out"), and the
//   parent receives the original too (RX_HANDLER_PASS).
// - unicast: the up child owning the destination MAC (passthru: the single child) receives it as
//   PACKET_HOST; no child → the parent's own stack.
// Transmit (`macvlan_queue_xmit`): bridge mode delivers to a bridge-mode sibling directly (through the
// parent's receive path, `dev_forward_skb(lowerdev)`) and copies multicast to bridge-mode siblings;
// every other frame (private, VEPA, passthru, or a destination that is not a bridge-mode sibling) is
// transmitted by the parent. Hence the well-known limitation: a child cannot reach the parent's own
// addresses — its frames leave through the parent, and a device does not receive what it sends.
//
// Not modelled: the broadcast queue (`bcqueuelen`: broadcasts are delivered at once), source mode's
// MAC list (`macaddr add`), offload (`ndo_dfwd_add_station`), nested macvlans.

import { Device, DevKind, type RxHandler, RxResult } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

/** MACVLAN_MODE_* (include/uapi/linux/if_link.h). */
export const MacvlanMode = { Private: 1, Vepa: 2, Bridge: 4, Passthru: 8, Source: 16 } as const;
export type MacvlanMode = (typeof MacvlanMode)[keyof typeof MacvlanMode];

export const MACVLAN_MODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'private',
  2: 'vepa',
  4: 'bridge',
  8: 'passthru',
  16: 'source',
});

/** `struct macvlan_port`: the parent's side, shared by its children. */
export class MacvlanPort implements RxHandler {
  readonly children: MacvlanDevice[] = [];
  passthru = false;
  /** The parent's address when the passthru child came (`port->perm_addr`), restored when it goes. */
  permHi = 0;
  permLo = 0;

  constructor(
    readonly world: World,
    readonly parent: Device,
  ) {}

  /** `macvlan_hash_lookup`: the up child with MAC (hi, lo), or null. */
  lookup(hi: number, lo: number): MacvlanDevice | null {
    const ch = this.children;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i]!;
      if (c.adminUp && c.macLo === lo && c.macHi === hi) return c;
    }
    return null;
  }

  /** `macvlan_broadcast`: a copy to every up child in `modeMask` except `src`. */
  broadcast(h: number, src: MacvlanDevice | null, modeMask: number): void {
    const w = this.world;
    const ch = this.children;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i]!;
      if (c === src || (c.mode & modeMask) === 0 || !c.adminUp) continue;
      w.deliverAt(w.sim.now, c.id, w.cloneFrame(h));
    }
  }

  handleFrame(_dev: Device, h: number): RxResult {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    if ((u8[off]! & 1) !== 0) {
      const sHi = (u8[off + 6]! << 8) | u8[off + 7]!;
      const sLo = ((u8[off + 8]! << 24) | (u8[off + 9]! << 16) | (u8[off + 10]! << 8) | u8[off + 11]!) >>> 0;
      const src = this.lookup(sHi, sLo);
      if (src !== null && src.mode !== MacvlanMode.Vepa && src.mode !== MacvlanMode.Bridge) {
        // "forward to original port".
        src.receive(h);
        return RxResult.Consumed;
      }
      const mask =
        src === null
          ? MacvlanMode.Private | MacvlanMode.Vepa | MacvlanMode.Passthru | MacvlanMode.Bridge
          : src.mode === MacvlanMode.Vepa
            ? MacvlanMode.Vepa | MacvlanMode.Bridge
            : MacvlanMode.Vepa;
      this.broadcast(h, src, mask);
      return RxResult.Pass;
    }
    let vlan: MacvlanDevice | null;
    if (this.passthru) vlan = this.children.length > 0 ? this.children[0]! : null;
    else {
      const dHi = (u8[off]! << 8) | u8[off + 1]!;
      const dLo = ((u8[off + 2]! << 24) | (u8[off + 3]! << 16) | (u8[off + 4]! << 8) | u8[off + 5]!) >>> 0;
      vlan = this.lookup(dHi, dLo);
    }
    if (vlan === null || vlan.mode === MacvlanMode.Source) return RxResult.Pass;
    if (!vlan.adminUp) {
      w.drop(h, Drop.DevDown, vlan.id);
      return RxResult.Consumed;
    }
    // RX_HANDLER_ANOTHER with skb->dev = the child.
    vlan.receive(h);
    return RxResult.Consumed;
  }
}

export class MacvlanDevice extends Device {
  readonly kind = DevKind.Macvlan;

  constructor(
    world: World,
    ns: Namespace,
    name: string,
    /** The parent (IFLA_LINK); `ip link` shows it as `NAME@PARENT`. */
    readonly lowerDev: Device,
    readonly port: MacvlanPort,
    public mode: MacvlanMode,
  ) {
    super(world, ns, name);
    this.mtu = lowerDev.mtu;
  }

  /** The child's operational state follows its parent's (netif_stacked_transfer_operstate). */
  override get carrier(): boolean {
    return this.lowerDev.operUp;
  }

  protected transmit(h: number): void {
    const w = this.world;
    const port = this.port;
    if (this.mode === MacvlanMode.Bridge) {
      const pool = w.pool;
      const u8 = pool.bytesOf(h);
      const off = pool.start[h]!;
      if ((u8[off]! & 1) !== 0) {
        port.broadcast(h, this, MacvlanMode.Bridge);
      } else {
        const dHi = (u8[off]! << 8) | u8[off + 1]!;
        const dLo = ((u8[off + 2]! << 24) | (u8[off + 3]! << 16) | (u8[off + 4]! << 8) | u8[off + 5]!) >>> 0;
        const dest = port.lookup(dHi, dLo);
        if (dest !== null && dest.mode === MacvlanMode.Bridge) {
          // dev_forward_skb(lowerdev): received on the parent, whose rx handler hands it to `dest`.
          w.deliverAt(w.sim.now, this.lowerDev.id, h);
          return;
        }
      }
    }
    // xmit_world: out through the parent.
    this.lowerDev.xmit(h);
  }

  override onDelete(): void {
    const port = this.port;
    const i = port.children.indexOf(this);
    if (i >= 0) port.children.splice(i, 1);
    if (port.children.length === 0) {
      // macvlan_port_destroy: a passthru port gives the parent back its own address.
      const p = this.lowerDev;
      if (port.passthru && (p.macHi !== port.permHi || p.macLo !== port.permLo)) {
        p.macHi = port.permHi;
        p.macLo = port.permLo;
        this.world.notifyNetdev('change-addr', p);
      }
      port.passthru = false;
      if (this.lowerDev.rxHandler === port) this.lowerDev.rxHandler = null;
    }
  }
}

/** `macvlan_port_create` (once per parent) and the child (`macvlan_common_newlink`). Throws an errno text. */
export function createMacvlan(
  world: World,
  ns: Namespace,
  name: string,
  parent: Device,
  mode: MacvlanMode,
): MacvlanDevice {
  let port: MacvlanPort;
  if (parent.rxHandler instanceof MacvlanPort) port = parent.rxHandler;
  else {
    if (parent.kind === DevKind.Loopback) throw new Error('Invalid argument');
    if (parent.rxHandler !== null) throw new Error('Device or resource busy');
    port = new MacvlanPort(world, parent);
  }
  if (mode === MacvlanMode.Passthru && port.children.length > 0) throw new Error('Invalid argument');
  if (port.passthru) throw new Error('Invalid argument');
  const dev = new MacvlanDevice(world, ns, name, parent, port, mode);
  if (mode === MacvlanMode.Passthru) {
    // eth_hw_addr_inherit: the single passthru child takes the parent's address.
    port.passthru = true;
    port.permHi = parent.macHi;
    port.permLo = parent.macLo;
    dev.macHi = parent.macHi;
    dev.macLo = parent.macLo;
  } else {
    const mac = ns.randomMac();
    dev.macHi = mac.hi;
    dev.macLo = mac.lo;
  }
  parent.rxHandler = port;
  port.children.push(dev);
  return dev;
}
