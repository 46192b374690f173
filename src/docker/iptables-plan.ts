// The iptables rules libnetwork's bridge driver installs, per behaviour profile, emitted as the
// `iptables` command lines it runs, in the order it runs them.
//
// Sources (moby at b985e23 for 'current'; tag v27.5.1 for '27'; tag v28.0.0 for '28.0'):
// - current: daemon/libnetwork/drivers/bridge/internal/iptabler/{iptabler,network,endpoint,port}.go,
//   daemon/libnetwork/firewall_linux.go (DOCKER-USER), iptables/iptables.go (EnsureJumpRule, Rule).
// - 27: libnetwork/drivers/bridge/{setup_ip_tables_linux,port_mapping_linux,bridge_linux}.go,
//   libnetwork/iptables/iptables.go (ProgramChain, AddReturnRule), libnetwork/controller.go
//   (SetupUserChains after every NewNetwork).
// - 28.0: libnetwork/drivers/bridge/{setup_ip_tables_linux,port_mapping_linux,bridge_linux}.go
//   (setupIPChains, setupHashNetIpset, setupIPTables, setINC, setPerPortIptables),
//   libnetwork/firewall_linux.go (setupUserChain once, with AddReturnRule). The ipset is programmed
//   over netlink (vishvananda/netlink IpsetCreate without NLM_F_EXCL, IpsetAdd whose EEXIST is
//   ignored); netsim emits the equivalent `ipset … -exist` command lines.
//
// libnetwork's helpers, as used below:
//   Rule.Append / Rule.Insert — only if `iptables -C` says the rule is absent ("ensure");
//   Rule.Delete               — only if present;
//   programChainRule(r, on)   — Insert when on, else Delete;
//   appendOrDelChainRule(r,on)— Append when on, else Delete;
//   EnsureJumpRule(from, to)  — Delete `-j to` from `from` if present, then Insert it at the top.

import type { IptModel, TableName } from './ipt-model.js';
import { IPSET_EXT_BRIDGES_V4, type Profile } from './profiles.js';

/** firewaller.NetworkConfig + NetworkConfigFam for IPv4. */
export interface FwNetwork {
  readonly ifName: string;
  readonly internal: boolean;
  readonly icc: boolean;
  readonly masquerade: boolean;
  /** The bridge's IPv4 subnet, masked (`192.168.0.0/24`). */
  readonly prefix: string;
  /** `com.docker.network.host_ipv4`: SNAT to this address instead of MASQUERADE ('' = none). */
  readonly hostIp: string;
  readonly routed: boolean;
  readonly unprotected: boolean;
}

/** types.PortBinding (IPv4). */
export interface FwPortBinding {
  readonly proto: string;
  readonly ip: string;
  readonly port: number;
  readonly hostIp: string;
  readonly hostPort: number;
}

export const DOCKER = 'DOCKER';
export const DOCKER_FORWARD = 'DOCKER-FORWARD';
export const DOCKER_BRIDGE = 'DOCKER-BRIDGE';
export const DOCKER_CT = 'DOCKER-CT';
export const DOCKER_INTERNAL = 'DOCKER-INTERNAL';
export const DOCKER_USER = 'DOCKER-USER';
export const ISOLATION_1 = 'DOCKER-ISOLATION-STAGE-1';
export const ISOLATION_2 = 'DOCKER-ISOLATION-STAGE-2';

export type CommandSink = (argv: readonly string[]) => void;

/**
 * libnetwork writes `-d 0/0` for an unspecified host address (port.go setPerPortNAT). netsim's
 * iptables does not parse `0/0` yet (real iptables reads `0` as 0.0.0.0), so the engine writes the
 * equivalent `0.0.0.0/0`; iptables-save prints neither, so the installed rule is the same.
 */
function anyHostIp(ip: string): string {
  return ip === '0.0.0.0' || ip === '' ? '0.0.0.0/0' : ip;
}

function isLoopback4(ip: string): boolean {
  return ip.startsWith('127.');
}

/** setupIPTables: the bridge's outbound NAT rule (nat-POSTROUTING) — SNAT to host_ipv4 when set. */
function masqueradeArgs(n: FwNetwork, br: string): string[] {
  return n.hostIp !== ''
    ? ['-s', n.prefix, '!', '-o', br, '-j', 'SNAT', '--to-source', n.hostIp]
    : ['-s', n.prefix, '!', '-o', br, '-j', 'MASQUERADE'];
}

/** setupIPTables: the hairpin NAT rule (nat-POSTROUTING) for local sources leaving by the bridge. */
function hairpinNatArgs(n: FwNetwork, br: string): string[] {
  return n.hostIp !== ''
    ? ['-m', 'addrtype', '--src-type', 'LOCAL', '-o', br, '-j', 'SNAT', '--to-source', n.hostIp]
    : ['-m', 'addrtype', '--src-type', 'LOCAL', '-o', br, '-j', 'MASQUERADE'];
}

/** The rule accepting replies and related packets that leave by the bridge. */
function outEstablishedArgs(br: string): string[] {
  return ['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'];
}

/** The firewaller of one host: applies libnetwork's logic to the model and emits the commands. */
export class Firewaller {
  constructor(
    private readonly model: IptModel,
    private readonly sink: CommandSink,
    private readonly prof: Profile,
    /** firewaller.Config.Hairpin = !userland-proxy. */
    private readonly hairpin: boolean,
  ) {}

  // --- primitive operations (each emits at most one command) ------------------------------------

  private cmd(table: TableName, op: string, chain: string, args: readonly string[]): void {
    this.sink(['iptables', '-t', table, op, chain, ...args]);
  }

  newChain(table: TableName, chain: string): void {
    if (this.model.hasChain(table, chain)) return;
    this.model.newChain(table, chain);
    this.sink(['iptables', '-t', table, '-N', chain]);
  }

  private append(table: TableName, chain: string, args: readonly string[]): void {
    if (this.model.exists(table, chain, args)) return;
    this.model.append(table, chain, args);
    this.cmd(table, '-A', chain, args);
  }

  private insert(table: TableName, chain: string, args: readonly string[]): void {
    if (this.model.exists(table, chain, args)) return;
    this.model.insert(table, chain, args);
    this.cmd(table, '-I', chain, args);
  }

  /** ProgramRule(Insert) without an existence check (27's setINC). */
  private insertRaw(table: TableName, chain: string, args: readonly string[]): void {
    this.model.insert(table, chain, args);
    this.cmd(table, '-I', chain, args);
  }

  private del(table: TableName, chain: string, args: readonly string[]): void {
    if (!this.model.exists(table, chain, args)) return;
    this.model.delete(table, chain, args);
    this.cmd(table, '-D', chain, args);
  }

  private program(table: TableName, chain: string, args: readonly string[], on: boolean): void {
    if (on) this.insert(table, chain, args);
    else this.del(table, chain, args);
  }

  private appendOrDel(table: TableName, chain: string, args: readonly string[], on: boolean): void {
    if (on) this.append(table, chain, args);
    else this.del(table, chain, args);
  }

  private ensureJump(table: TableName, from: string, to: string, match: readonly string[] = []): void {
    const args = [...match, '-j', to];
    this.del(table, from, args);
    this.model.insert(table, from, args);
    this.cmd(table, '-I', from, args);
  }

  setPolicy(table: TableName, chain: string, policy: string): void {
    this.model.setPolicy(table, chain, policy);
    this.sink(['iptables', '-t', table, '-P', chain, policy]);
  }

  // --- daemon start ------------------------------------------------------------------------------

  private ipset(args: readonly string[]): void {
    this.sink(['ipset', ...args]);
  }

  /** NewIptabler (setupIPChains); 27's DOCKER-USER comes later, with each network. */
  init(): void {
    if (this.prof.forwardChains === 'isolation-ipset') {
      // v28.0.0 driver configure: setupHashNetIpset, then setupIPChains.
      this.ipset(['create', IPSET_EXT_BRIDGES_V4, 'hash:net', 'family', 'inet', '-exist']);
      this.ipset(['flush', IPSET_EXT_BRIDGES_V4]);
      this.newChain('nat', DOCKER);
      this.newChain('filter', DOCKER);
      this.newChain('filter', ISOLATION_1);
      this.newChain('filter', ISOLATION_2);
      this.natJumps();
      const toExt = ['-m', 'set', '--match-set', IPSET_EXT_BRIDGES_V4, 'dst'];
      this.ensureJump('filter', 'FORWARD', DOCKER, toExt);
      this.ensureJump('filter', 'FORWARD', ISOLATION_1);
      this.ensureJump('filter', 'FORWARD', 'ACCEPT', [
        ...toExt,
        '-m',
        'conntrack',
        '--ctstate',
        'RELATED,ESTABLISHED',
      ]);
    } else if (this.prof.forwardChains === 'docker-forward') {
      this.newChain('nat', DOCKER);
      this.newChain('filter', DOCKER);
      this.newChain('filter', DOCKER_FORWARD);
      this.newChain('filter', DOCKER_BRIDGE);
      this.newChain('filter', DOCKER_CT);
      this.newChain('filter', DOCKER_INTERNAL);
      this.natJumps();
      this.ensureJump('filter', 'FORWARD', DOCKER_FORWARD);
      this.ensureJump('filter', DOCKER_FORWARD, DOCKER_BRIDGE);
      this.ensureJump('filter', DOCKER_FORWARD, DOCKER_INTERNAL);
      this.ensureJump('filter', DOCKER_FORWARD, DOCKER_CT);
    } else {
      this.newChain('nat', DOCKER);
      this.newChain('filter', DOCKER);
      this.newChain('filter', ISOLATION_1);
      this.newChain('filter', ISOLATION_2);
      this.append('filter', ISOLATION_1, ['-j', 'RETURN']);
      this.append('filter', ISOLATION_2, ['-j', 'RETURN']);
    }
  }

  /** Controller.setupUserChains (current: once at start; 27: after every NewNetwork). */
  userChain(): void {
    this.newChain('filter', DOCKER_USER);
    if (this.prof.userChainReturn) this.append('filter', DOCKER_USER, ['-j', 'RETURN']);
    this.ensureJump('filter', 'FORWARD', DOCKER_USER);
  }

  /** iptabler.go addNATJumpRules / 27's ProgramChain(nat). */
  private natJumps(): void {
    this.append('nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', DOCKER]);
    const output = ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', DOCKER];
    if (!this.hairpin) output.push('!', '--dst', '127.0.0.0/8');
    this.append('nat', 'OUTPUT', output);
  }

  /** Iptabler.FilterForwardDrop. */
  filterForwardDrop(): void {
    this.setPolicy('filter', 'FORWARD', 'DROP');
  }

  // --- networks ----------------------------------------------------------------------------------

  newNetwork(n: FwNetwork): void {
    if (this.prof.forwardChains === 'isolation') this.newNetwork27(n, true);
    else if (this.prof.forwardChains === 'isolation-ipset') this.network280(n, true);
    else this.networkRules(n, true);
  }

  delNetwork(n: FwNetwork): void {
    if (this.prof.forwardChains === 'isolation') this.newNetwork27(n, false);
    else if (this.prof.forwardChains === 'isolation-ipset') this.network280(n, false);
    else this.networkRules(n, false);
  }

  /**
   * v28.0.0 bridge network: setupIPTables (internal or non-internal rules, the legacy per-bridge
   * FORWARD rules removed, the default DOCKER rule, the subnet into the ipset), then setINC. Removal
   * runs the registered clean functions in the same order.
   */
  private network280(n: FwNetwork, on: boolean): void {
    const br = n.ifName;
    if (n.internal) {
      this.internalRules(ISOLATION_1, n, on);
      this.setIcc280(br, n.icc, true, on);
      return;
    }
    // setupNonInternalNetworkRules
    const nat = !n.routed;
    const natArgs = masqueradeArgs(n, br);
    const hpNatArgs = hairpinNatArgs(n, br);
    if (nat && n.masquerade) this.program('nat', 'POSTROUTING', natArgs, on);
    if (!nat || (n.masquerade && !this.hairpin)) this.program('nat', DOCKER, ['-i', br, '-j', 'RETURN'], on);
    this.program('nat', 'POSTROUTING', hpNatArgs, on && this.hairpin);
    this.setIcc280(br, n.icc, false, on);
    if (!nat) this.appendOrDel('filter', DOCKER, ['-o', br, '-p', 'icmp', '-j', 'ACCEPT'], on);
    const outNoIcc = ['-i', br, '!', '-o', br, '-j', 'ACCEPT'];
    if (n.icc) {
      this.del('filter', 'FORWARD', outNoIcc);
      this.appendOrDel('filter', 'FORWARD', ['-i', br, '-j', 'ACCEPT'], on);
    } else {
      this.appendOrDel('filter', 'FORWARD', outNoIcc, on);
    }
    if (on) {
      // deleteLegacyFilterRules: the ≤27 per-bridge FORWARD rules the ipset rules replace.
      this.del('filter', 'FORWARD', ['-o', br, '-j', DOCKER]);
      this.del('filter', 'FORWARD', outEstablishedArgs(br));
    }
    this.setDefaultForwardRule(n, on);
    this.ipset([on ? 'add' : 'del', IPSET_EXT_BRIDGES_V4, n.prefix, '-exist']);
    // setINC (isolateNetwork): ProgramRule Insert/Append without a check; Delete when removing.
    const inc: [string, 'I' | 'A', string[]][] = [];
    if (n.routed) {
      inc.push([ISOLATION_1, 'I', ['-o', br, '-j', 'RETURN']]);
      inc.push([
        ISOLATION_1,
        'I',
        ['-i', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      ]);
    }
    inc.push([ISOLATION_1, 'A', ['-i', br, '!', '-o', br, '-j', ISOLATION_2]]);
    inc.push([ISOLATION_2, 'I', ['-o', br, '-j', 'DROP']]);
    for (const [chain, op, args] of inc) {
      if (!on) this.del('filter', chain, args);
      else if (op === 'I') this.insertRaw('filter', chain, args);
      else {
        this.model.append('filter', chain, args);
        this.cmd('filter', '-A', chain, args);
      }
    }
  }

  /**
   * An internal network's two DROP rules: nothing from the bridge leaves its subnet, nothing from
   * outside the subnet reaches the bridge.
   */
  private internalRules(chain: string, n: FwNetwork, on: boolean): void {
    this.program('filter', chain, ['-i', n.ifName, '!', '-d', n.prefix, '-j', 'DROP'], on);
    this.program('filter', chain, ['-o', n.ifName, '!', '-s', n.prefix, '-j', 'DROP'], on);
  }

  /** setDefaultForwardRule: DOCKER's last rule for the bridge — DROP, or ACCEPT when unprotected. */
  private setDefaultForwardRule(n: FwNetwork, on: boolean): void {
    const br = n.ifName;
    this.appendOrDel(
      'filter',
      DOCKER,
      ['!', '-i', br, '-o', br, '-j', n.unprotected ? 'ACCEPT' : 'DROP'],
      on,
    );
  }

  /** v28.0.0 setIcc: rules in filter-FORWARD; ACCEPT only for an internal network with icc. */
  private setIcc280(br: string, icc: boolean, internal: boolean, insert: boolean): void {
    const accept = ['-i', br, '-o', br, '-j', 'ACCEPT'];
    const drop = ['-i', br, '-o', br, '-j', 'DROP'];
    if (insert && icc && internal) this.append('filter', 'FORWARD', accept);
    else this.del('filter', 'FORWARD', accept);
    if (insert && !icc) this.append('filter', 'FORWARD', drop);
    else this.del('filter', 'FORWARD', drop);
  }

  /** network.go setupIPTables (and its clean functions when !on, in registration order). */
  private networkRules(n: FwNetwork, on: boolean): void {
    const br = n.ifName;
    if (n.internal) {
      this.internalRules(DOCKER_INTERNAL, n, on);
      this.setIcc(br, n.icc, true, on);
      return;
    }
    // setupNonInternalNetworkRules
    const natArgs = masqueradeArgs(n, br);
    const hpNatArgs = hairpinNatArgs(n, br);
    if (n.masquerade && !n.routed) this.program('nat', 'POSTROUTING', natArgs, on);
    this.program('nat', 'POSTROUTING', hpNatArgs, on && this.hairpin);
    this.setIcc(br, n.icc, false, on);
    if (n.routed) this.appendOrDel('filter', DOCKER, ['-o', br, '-p', 'icmp', '-j', 'ACCEPT'], on);
    const outNoIcc = ['-i', br, '!', '-o', br, '-j', 'ACCEPT'];
    if (on) this.del('filter', 'FORWARD', outNoIcc);
    if (n.icc) {
      const outIcc = ['-i', br, '-j', 'ACCEPT'];
      this.appendOrDel('filter', DOCKER_FORWARD, outIcc, on);
      if (on) this.del('filter', 'FORWARD', outIcc);
    } else {
      this.appendOrDel('filter', DOCKER_FORWARD, outNoIcc, on);
    }
    this.setDefaultForwardRule(n, on);
    this.appendOrDel('filter', DOCKER_CT, outEstablishedArgs(br), on);
    this.appendOrDel('filter', DOCKER_BRIDGE, ['-o', br, '-j', DOCKER], on);
  }

  /** network.go setIcc. */
  private setIcc(br: string, icc: boolean, internal: boolean, insert: boolean): void {
    const accept = ['-i', br, '-o', br, '-j', 'ACCEPT'];
    const drop = ['-i', br, '-o', br, '-j', 'DROP'];
    if (insert && icc && internal) this.append('filter', DOCKER_FORWARD, accept);
    else this.del('filter', DOCKER_FORWARD, accept);
    if (insert && !icc) this.append('filter', DOCKER_FORWARD, drop);
    else this.del('filter', DOCKER_FORWARD, drop);
    if (insert) {
      this.del('filter', 'FORWARD', accept);
      this.del('filter', 'FORWARD', drop);
    }
  }

  /** v27.5.1 bridge network setup steps: setupIPTables, setupNetworkIsolationRules, user chain. */
  private newNetwork27(n: FwNetwork, on: boolean): void {
    const br = n.ifName;
    if (n.internal) {
      this.internalRules(ISOLATION_1, n, on);
      this.setIcc27(br, n.icc, on);
    } else {
      const natArgs = masqueradeArgs(n, br);
      const hpNatArgs = hairpinNatArgs(n, br);
      if (!n.routed && n.masquerade) {
        this.program('nat', 'POSTROUTING', natArgs, on);
        if (!this.hairpin) this.program('nat', DOCKER, ['-i', br, '-j', 'RETURN'], on);
      }
      this.program('nat', 'POSTROUTING', hpNatArgs, on && this.hairpin);
      this.setIcc27(br, n.icc, on);
      this.program('filter', 'FORWARD', ['-i', br, '!', '-o', br, '-j', 'ACCEPT'], on);
      if (on) {
        // ProgramChain(nat) then ProgramChain(filter).
        this.natJumps();
        this.insert('filter', 'FORWARD', ['-o', br, '-j', DOCKER]);
        this.insert('filter', 'FORWARD', outEstablishedArgs(br));
      } else {
        // Only the filter ProgramChain is registered as a clean function.
        this.del('filter', 'FORWARD', ['-o', br, '-j', DOCKER]);
        this.del('filter', 'FORWARD', outEstablishedArgs(br));
      }
    }
    if (on) this.ensureJump('filter', 'FORWARD', ISOLATION_1);
    if (!n.internal) {
      // setINC (isolateNetwork): ProgramRule Insert / Delete.
      if (on) {
        this.insertRaw('filter', ISOLATION_1, ['-i', br, '!', '-o', br, '-j', ISOLATION_2]);
        this.insertRaw('filter', ISOLATION_2, ['-o', br, '-j', 'DROP']);
      } else {
        this.del('filter', ISOLATION_1, ['-i', br, '!', '-o', br, '-j', ISOLATION_2]);
        this.del('filter', ISOLATION_2, ['-o', br, '-j', 'DROP']);
      }
    }
  }

  /** v27.5.1 setIcc: rules live in filter-FORWARD. */
  private setIcc27(br: string, icc: boolean, insert: boolean): void {
    const accept = ['-i', br, '-o', br, '-j', 'ACCEPT'];
    const drop = ['-i', br, '-o', br, '-j', 'DROP'];
    if (insert) {
      if (!icc) {
        this.del('filter', 'FORWARD', accept);
        this.append('filter', 'FORWARD', drop);
      } else {
        this.del('filter', 'FORWARD', drop);
        this.insert('filter', 'FORWARD', accept);
      }
    } else if (!icc) this.del('filter', 'FORWARD', drop);
    else this.del('filter', 'FORWARD', accept);
  }

  // --- legacy links (--link on a bridge with icc=false) -----------------------------------------

  /**
   * iptabler/link.go AddLink/DelLink → iptables.ChainInfo.Link: per exposed port of the child, an
   * ACCEPT parent→child to the port and child→parent from it, appended (ProgramRule, no -C check).
   */
  link(
    br: string,
    parentIp: string,
    childIp: string,
    ports: readonly { proto: string; port: number }[],
    on: boolean,
  ): void {
    for (const p of ports) {
      const fwd = [
        '-i',
        br,
        '-o',
        br,
        '-p',
        p.proto,
        '-s',
        parentIp,
        '-d',
        childIp,
        '--dport',
        `${p.port}`,
        '-j',
        'ACCEPT',
      ];
      const back = [
        '-i',
        br,
        '-o',
        br,
        '-p',
        p.proto,
        '-s',
        childIp,
        '-d',
        parentIp,
        '--sport',
        `${p.port}`,
        '-j',
        'ACCEPT',
      ];
      for (const args of [fwd, back]) {
        if (on) {
          this.model.append('filter', DOCKER, args);
          this.cmd('filter', '-A', DOCKER, args);
        } else this.del('filter', DOCKER, args);
      }
    }
  }

  // --- endpoints and ports -----------------------------------------------------------------------

  /** endpoint.go filterDirectAccess (28.2+). */
  endpoint(n: FwNetwork, ip: string, on: boolean): void {
    if (!this.prof.rawDirectAccess) return;
    if (n.internal || n.unprotected || n.routed) return;
    this.appendOrDel('raw', 'PREROUTING', ['-d', ip, '!', '-i', n.ifName, '-j', 'DROP'], on);
  }

  ports(n: FwNetwork, pbs: readonly FwPortBinding[], on: boolean): void {
    for (const b of pbs) {
      if (this.prof.forwardChains === 'isolation') this.port27(n, b, on);
      else this.port(n, b, on);
    }
  }

  /** port.go setPerPortIptables (and v28.0.0's, which adds the per-port direct-access DROP). */
  private port(n: FwNetwork, b: FwPortBinding, on: boolean): void {
    if (n.internal) return;
    if (b.hostPort !== 0 && isLoopback4(b.hostIp)) {
      // filterPortMappedOnLoopback (WSL2 mirrored mode is never detected in netsim).
      this.del('raw', 'PREROUTING', [
        '-p',
        b.proto,
        '-d',
        b.hostIp,
        '--dport',
        `${b.hostPort}`,
        '-i',
        'loopback0',
        '-j',
        'ACCEPT',
      ]);
      this.appendOrDel(
        'raw',
        'PREROUTING',
        ['-p', b.proto, '-d', b.hostIp, '--dport', `${b.hostPort}`, '!', '-i', 'lo', '-j', 'DROP'],
        on,
      );
    }
    if (this.prof.rawDirectAccessPerPort && !n.unprotected && !n.routed) {
      // v28.0.0 filterDirectAccess: per binding, whatever the host port.
      this.appendOrDel(
        'raw',
        'PREROUTING',
        ['-p', b.proto, '-d', b.ip, '--dport', `${b.port}`, '!', '-i', n.ifName, '-j', 'DROP'],
        on,
      );
    }
    if (b.hostPort !== 0) {
      const hostIp = anyHostIp(b.hostIp);
      const args = [
        '-p',
        b.proto,
        '-d',
        hostIp,
        '--dport',
        `${b.hostPort}`,
        '-j',
        'DNAT',
        '--to-destination',
        `${b.ip}:${b.port}`,
      ];
      if (!this.hairpin) args.push('!', '-i', n.ifName);
      this.appendOrDel('nat', DOCKER, args, on);
      this.appendOrDel(
        'nat',
        'POSTROUTING',
        ['-p', b.proto, '-s', b.ip, '-d', b.ip, '--dport', `${b.port}`, '-j', 'MASQUERADE'],
        this.hairpin && on,
      );
    }
    if (!n.unprotected) {
      this.program(
        'filter',
        DOCKER,
        [
          '!',
          '-i',
          n.ifName,
          '-o',
          n.ifName,
          '-p',
          b.proto,
          '-d',
          b.ip,
          '--dport',
          `${b.port}`,
          '-j',
          'ACCEPT',
        ],
        on,
      );
    }
  }

  /** v27.5.1 port_mapping_linux.go setPerPortIptables. */
  private port27(n: FwNetwork, b: FwPortBinding, on: boolean): void {
    if (n.internal) return;
    if (b.hostPort !== 0) {
      const hostIp = anyHostIp(b.hostIp);
      const args = [
        '-p',
        b.proto,
        '-d',
        hostIp,
        '--dport',
        `${b.hostPort}`,
        '-j',
        'DNAT',
        '--to-destination',
        `${b.ip}:${b.port}`,
      ];
      if (!this.hairpin) args.push('!', '-i', n.ifName);
      this.appendOrDel('nat', DOCKER, args, on);
      this.appendOrDel(
        'nat',
        'POSTROUTING',
        ['-p', b.proto, '-s', b.ip, '-d', b.ip, '--dport', `${b.port}`, '-j', 'MASQUERADE'],
        on,
      );
    }
    this.appendOrDel(
      'filter',
      DOCKER,
      [
        '!',
        '-i',
        n.ifName,
        '-o',
        n.ifName,
        '-p',
        b.proto,
        '-d',
        b.ip,
        '--dport',
        `${b.port}`,
        '-j',
        'ACCEPT',
      ],
      on,
    );
  }
}
