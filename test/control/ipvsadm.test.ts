import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { ipvsadmRestore, ipvsadmSave } from '../../src/control/ipvsadm.js';
import { World } from '../../src/net/world.js';

// Expected texts follow ipvsadm 1.31's format strings (print_title, print_service_entry: "%s %s" for
// the service line, "  -> %-28s %-7s %-6d %-10u %-10u" for a real server) and libipvs's messages. The
// machine that wrote these tests has no IPVS module, so nothing here was recorded from a live kernel.

let n = 0;
function setup() {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace(`ipvsadm${n++}`);
  const ctx = { world, ns };
  const run = (line: string) => runCommandLine(ctx, line).stdout;
  const err = (line: string): { message: string; code: number } => {
    try {
      runCommandLine(ctx, line);
    } catch (e) {
      if (e instanceof CommandError) return { message: e.message, code: e.exitCode };
      throw e;
    }
    throw new Error(`no error from: ${line}`);
  };
  return { world, ns, ctx, run, err };
}

describe('ipvsadm -L', () => {
  it('prints the header, services and real servers in the 1.31 layout', () => {
    const { run } = setup();
    run('ipvsadm -A -t 10.0.0.1:80 -s rr');
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m');
    expect(run('ipvsadm -L -n')).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
        'Prot LocalAddress:Port Scheduler Flags\n' +
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
        'TCP  10.0.0.1:80 rr\n' +
        '  -> 10.0.0.2:80                  Masq    1      0          0         \n',
    );
  });

  it('resolves ports to /etc/services names without -n', () => {
    const { run } = setup();
    run('ipvsadm -A -t 10.0.0.1:80');
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2');
    expect(run('ipvsadm -L')).toContain(
      'TCP  10.0.0.1:http wlc\n  -> 10.0.0.2:http                Route   1      0          0         \n',
    );
  });

  it('sorts services (fwmark, protocol, address, port) and servers (address, port)', () => {
    const { run } = setup();
    run('ipvsadm -A -u 10.0.0.1:53 -s rr');
    run('ipvsadm -A -f 7 -s sh -b sh-fallback,sh-port');
    run('ipvsadm -A -t 10.0.0.1:443 -s wrr -p');
    run('ipvsadm -A -t 10.0.0.1:80 -s lc -p 600 -M 255.255.255.0');
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.9:8080 -m -w 3');
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 0');
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.3:80 -i -x 10 -y 5');
    const out = run('ipvsadm -Ln');
    expect(out.split('\n').slice(3).join('\n')).toBe(
      [
        'TCP  10.0.0.1:80 lc persistent 600 mask 255.255.255.0',
        '  -> 10.0.0.3:80                  Tunnel  1      0          0         ',
        '  -> 10.0.0.3:8080                Masq    0      0          0         ',
        '  -> 10.0.0.9:8080                Masq    3      0          0         ',
        'TCP  10.0.0.1:443 wrr persistent 300',
        'UDP  10.0.0.1:53 rr',
        'FWM  7 sh (sh-fallback,sh-port)',
        '',
      ].join('\n'),
    );
    expect(run('ipvsadm -L -n --thresholds -t 10.0.0.1:80')).toBe(
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n' +
        '  -> RemoteAddress:Port\n' +
        'TCP  10.0.0.1:80 lc persistent 600 mask 255.255.255.0\n' +
        '  -> 10.0.0.3:80                  10         5          0          0         \n' +
        '  -> 10.0.0.3:8080                0          0          0          0         \n' +
        '  -> 10.0.0.9:8080                0          0          0          0         \n',
    );
  });

  it('--stats, --exact and --timeout', () => {
    const { run } = setup();
    run('ipvsadm -A -t 10.0.0.1:80');
    expect(run('ipvsadm -L -n --stats')).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
        'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n' +
        '  -> RemoteAddress:Port\n' +
        'TCP  10.0.0.1:80                         0        0        0        0        0\n',
    );
    // print_largenum: %9llu below 100 million, %8lluK/M/G/T above; --exact widens instead.
    expect(run('ipvsadm -L -n --stats --exact')).toContain(
      'TCP  10.0.0.1:80                         0        0',
    );
    expect(run('ipvsadm -L --timeout')).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
    run('ipvsadm --set 3600 0 60');
    expect(run('ipvsadm -l --timeout')).toBe('Timeout (tcp tcpfin udp): 3600 120 60\n');
  });
});

describe('ipvsadm -S / -R', () => {
  it('saves rules and restore(save()) rebuilds the same configuration', () => {
    const a = setup();
    a.run('ipvsadm -A -t 10.0.0.1:80 -s rr');
    a.run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 2');
    a.run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.3:80 -g');
    a.run('ipvsadm -A -u 10.0.0.1:53 -s sh -b sh-port -o');
    a.run('ipvsadm -A -f 9 -s wlc -p 120 -M 255.255.0.0');
    a.run('ipvsadm -a -f 9 -r 10.0.0.7:0 -i -w 5');
    const saved = a.run('ipvsadm -S -n');
    expect(saved).toBe(
      [
        '-A -t 10.0.0.1:80 -s rr',
        '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 2',
        '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1',
        '-A -u 10.0.0.1:53 -s sh -o -b sh-port',
        '-A -f 9 -s wlc -p 120 -M 255.255.0.0',
        '-a -f 9 -r 10.0.0.7:0 -i -w 5',
        '',
      ].join('\n'),
    );
    const b = setup();
    ipvsadmRestore(b.ctx, saved);
    expect(ipvsadmSave(b.ctx)).toBe(saved);
    expect(b.run('ipvsadm -L -n')).toBe(a.run('ipvsadm -L -n'));
  });
});

describe('ipvsadm errors', () => {
  it('reports kernel errors with libipvs wording (exit 255)', () => {
    const { run, err } = setup();
    run('ipvsadm -A -t 10.0.0.1:80');
    expect(err('ipvsadm -A -t 10.0.0.1:80')).toEqual({ message: 'Service already exists', code: 255 });
    expect(err('ipvsadm -a -t 10.0.0.1:81 -r 10.0.0.2')).toEqual({
      message: 'Service not defined',
      code: 255,
    });
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2');
    expect(err('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2')).toEqual({
      message: 'Destination already exists',
      code: 255,
    });
    expect(err('ipvsadm -d -t 10.0.0.1:80 -r 10.0.0.3')).toEqual({
      message: 'No such destination',
      code: 255,
    });
    expect(err('ipvsadm -e -t 10.0.0.1:80 -r 10.0.0.3')).toEqual({
      message: 'No such destination',
      code: 255,
    });
    expect(err('ipvsadm -D -t 10.0.0.1:81')).toEqual({ message: 'No such service', code: 255 });
    expect(err('ipvsadm -E -t 10.0.0.1:81')).toEqual({ message: 'No such service', code: 255 });
    expect(err('ipvsadm -A -t 10.0.0.1:82 -s nosuch')).toEqual({
      message: 'Scheduler or persistence engine not found',
      code: 255,
    });
    expect(err('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.4 -y 5').message).toBe('Numerical result out of range');
    expect(err('ipvsadm -L -n -t 10.0.0.1:99')).toEqual({ message: 'No such service', code: 1 });
  });

  it('reports parse errors with ipvsadm wording (exit 2)', () => {
    const { err } = setup();
    expect(err('ipvsadm -A -t 10.0.0.1')).toEqual({
      message: 'Zero port specified for non-persistent service',
      code: 2,
    });
    expect(err('ipvsadm -A -t 80')).toEqual({
      message: 'illegal virtual server address[:port] specified',
      code: 2,
    });
    expect(err('ipvsadm -A -t 10.0.0.1:80 -u 10.0.0.1:80').message).toBe(
      "multiple 'service-address' options specified",
    );
    expect(err('ipvsadm -A -D -t 10.0.0.1:80').message).toBe('multiple commands specified');
    expect(err('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000').message).toBe('illegal weight specified');
    expect(err('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2 -m -g').message).toBe(
      "multiple 'forwarding-method' options specified",
    );
    expect(err('ipvsadm -A -t 10.0.0.1:80 -r 10.0.0.2').message).toBe(
      "Illegal 'real-server' option with the 'add-service' command",
    );
    expect(err('ipvsadm -a -t 10.0.0.1:80').message).toBe(
      "You need to supply the 'real-server' option for the 'add-server' command",
    );
    expect(err('ipvsadm -L -c -t 10.0.0.1:80').message).toBe(
      "The option 'service-address' conflicts with the 'connection' option in the 'list' command",
    );
    expect(err('ipvsadm -L -c --stats').message).toBe('options conflicts in the list command');
    expect(err('ipvsadm --set 1 2').message).toBe('--set option requires 3 timeout values');
    expect(err('ipvsadm --set 1 2 x').message).toBe("invalid timeout value `x' specified");
    expect(err('ipvsadm -A -t 10.0.0.1:80 -p 0').message).toBe("invalid timeout value `0' specified");
    expect(err('ipvsadm -A -f 0').message).toBe("invalid fwmark value `0' specified");
    expect(err('ipvsadm -A -t 10.0.0.1:80 -s rr -b sh-port').message).toBe(
      "incompatible scheduler flag `sh-port'",
    );
    expect(err('ipvsadm -A -t 10.0.0.1:80 -b bogus').message).toBe("invalid scheduler flag `bogus'");
    expect(err('ipvsadm -A -t 10.0.0.1:80 -o').message).toBe(
      'One-Packet Scheduling is only for UDP virtual services',
    );
    expect(err('ipvsadm -L extra').message).toBe('unexpected argument extra');
    expect(err('ipvsadm -Q').message).toBe('-Q: unknown option');
  });
});

describe('ipvsadm(8) EXAMPLES', () => {
  it('Example 1 - simple virtual service: five masq real servers, rr', () => {
    const { run } = setup();
    run('ipvsadm -A -t 207.175.44.110:80 -s rr');
    for (let i = 1; i <= 5; i++) run(`ipvsadm -a -t 207.175.44.110:80 -r 192.168.10.${i}:80 -m`);
    const out = run('ipvsadm -L -n');
    expect(out).toContain('TCP  207.175.44.110:80 rr\n');
    expect(out.match(/Masq {4}1 {6}0 {10}0 {9}\n/g)).toHaveLength(5);
  });

  it('Example 2 - firewall-mark virtual service', () => {
    const { run } = setup();
    run('ipvsadm -A -f 1 -s rr');
    for (let i = 1; i <= 5; i++) run(`ipvsadm -a -f 1 -r 192.168.10.${i}:0 -m`);
    expect(run('ipvsadm -L -n').split('\n')[3]).toBe('FWM  1 rr');
    expect(run('ipvsadm -S -n').split('\n')[1]).toBe('-a -f 1 -r 192.168.10.1:0 -m -w 1');
  });
});

describe('ipvsadm -L -c', () => {
  it('lists entries with protocol, mm:ss expiry, state and the three endpoints', async () => {
    const { world, ns, run } = setup();
    run('ipvsadm -A -t 10.0.0.1:80 -s rr -p 60');
    run('ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m');
    const { Ipvs, IpvsCtx } = await import('../../src/ipvs/ipvs.js');
    const { tcpFrame, SYN } = await import('../ipvs/helpers.js');
    const h = tcpFrame(world, '192.168.0.9:33000', '10.0.0.1:80', SYN);
    Ipvs.of(ns).schedule(h, world.pool.start[h]!, new IpvsCtx());
    world.consume(h);
    expect(run('ipvsadm -L -n -c')).toBe(
      'IPVS connection entries\n' +
        'pro expire state       source             virtual            destination\n' +
        'TCP 01:00  NONE        192.168.0.9:0      10.0.0.1:80        10.0.0.2:80\n' +
        'TCP 01:00  SYN_RECV    192.168.0.9:33000  10.0.0.1:80        10.0.0.2:80\n',
    );
  });
});
