// conntrack(8) output against the Linux 6.18 / conntrack-tools 1.4.7 recordings
// (test/netfilter/fixtures/conntrack-linux-6.18.txt).
import { describe, expect, it } from 'vitest';
import { CommandError } from '../../src/control/command.js';
import { conntrack } from '../../src/control/conntrack.js';
import { Dummy } from '../../src/net/devices/dummy.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { deliver, echo, forward, ip, makeWorld, runUntil, S, tcp, udp } from './conntrack-helpers.js';

const A = ip('172.17.0.2');
const C = ip('172.17.0.3');
const B = ip('10.0.0.2');
const NAT_IP = ip('10.0.0.1');

function setup() {
  const m = makeWorld();
  const out = new Dummy(m.world, m.ns, 'eth1');
  m.ns.attach(out);
  m.ct.nat.addrs = { selectAddr: () => NAT_IP, list: () => [{ local: NAT_IP }] };
  return { ...m, masq: { state: { inDev: null, outDev: out, nextHop: 0 } } };
}

describe('conntrack -L', () => {
  it('prints UDP, TCP and ICMP entries like conntrack-tools', () => {
    const { world, ns, ct, masq } = setup();
    const run = (args: string) => conntrack({ world, ns }, args.split(' '));
    // UDP (the second client's port is random; the recording's 49331 came from the kernel's RNG).
    for (const src of [A]) {
      const q = udp(world, src, B, 40001, 5000);
      forward(world, ct, q, { masquerade: masq });
      deliver(world, q);
      const r = udp(world, B, NAT_IP, 5000, 40001);
      forward(world, ct, r);
      deliver(world, r);
    }
    runUntil(world, 1 * S);
    expect(run('-L -p udp')).toEqual({
      stdout:
        'udp      17 29 src=172.17.0.2 dst=10.0.0.2 sport=40001 dport=5000 src=10.0.0.2 dst=10.0.0.1 sport=5000 dport=40001 mark=0 use=1\n',
      stderr: 'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n',
    });
    // TCP established.
    const segs: Array<[number, number, number, number, number, number, number]> = [
      [A, B, 41000, 8080, TcpFlag.SYN, 1, 0],
      [B, NAT_IP, 8080, 41000, TcpFlag.SYN | TcpFlag.ACK, 100, 2],
      [A, B, 41000, 8080, TcpFlag.ACK, 2, 101],
    ];
    for (const [s, d, sp, dp, fl, q, a] of segs) {
      const h = tcp(world, s, d, sp, dp, { flags: fl, seq: q, ack: a });
      forward(world, ct, h, { masquerade: masq });
      deliver(world, h);
    }
    runUntil(world, 1.5 * S);
    expect(run('-L -p tcp').stdout).toBe(
      'tcp      6 431999 ESTABLISHED src=172.17.0.2 dst=10.0.0.2 sport=41000 dport=8080 src=10.0.0.2 dst=10.0.0.1 sport=8080 dport=41000 [ASSURED] mark=0 use=1\n',
    );
    // ICMP echo + reply.
    const e = echo(world, A, B, 4660, 8);
    forward(world, ct, e, { masquerade: masq });
    deliver(world, e);
    const er = echo(world, B, NAT_IP, 4660, 0);
    forward(world, ct, er);
    deliver(world, er);
    runUntil(world, 2 * S);
    expect(run('-L -p icmp').stdout).toBe(
      'icmp     1 29 src=172.17.0.2 dst=10.0.0.2 type=8 code=0 id=4660 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=4660 mark=0 use=1\n',
    );
    // Unreplied UDP.
    const u = udp(world, A, B, 40002, 5001);
    forward(world, ct, u, { masquerade: masq });
    deliver(world, u);
    runUntil(world, 3 * S);
    expect(run('-L -p udp --dport 5001').stdout).toBe(
      'udp      17 29 src=172.17.0.2 dst=10.0.0.2 sport=40002 dport=5001 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=5001 dport=40002 mark=0 use=1\n',
    );
    expect(run('-C').stdout).toBe('4\n');
    expect(run('-L -o extended -p tcp').stdout.startsWith('ipv4     2 tcp      6 ')).toBe(true);
    expect(run('-L -d 10.0.0.9')).toEqual({
      stdout: '',
      stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n',
    });
    expect(run('-L --src-nat').stdout.split('\n').filter(Boolean)).toHaveLength(4);
    const del = run('-D -p icmp');
    expect(del.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.\n');
    expect(() => run('-D -p icmp')).toThrow(
      new CommandError('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.'),
    );
    expect(run('-F').stderr).toBe(
      'conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n',
    );
    expect(run('-C').stdout).toBe('0\n');
    expect(ct.entries()).toEqual([]);
    void C;
  });

  it('rejects what conntrack-tools rejects', () => {
    const { world, ns } = setup();
    const err = (args: string) => {
      try {
        conntrack({ world, ns }, args.split(' '));
      } catch (e) {
        return [(e as CommandError).message, (e as CommandError).exitCode];
      }
      return null;
    };
    expect(err('-X')).toEqual([
      "conntrack v1.4.7 (conntrack-tools): unknown option `-X'\nTry `conntrack -h' or 'conntrack --help' for more information.",
      2,
    ]);
    expect(err('-L -p foo')).toEqual([
      "conntrack v1.4.7 (conntrack-tools): `foo' unsupported protocol\nTry `conntrack -h' or 'conntrack --help' for more information.",
      2,
    ]);
  });
});
