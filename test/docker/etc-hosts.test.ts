// A container's /etc/hosts and /etc/hostname as Docker writes them (src/docker/container-files.ts):
// localhost and IPv6 defaults, --add-host (host-gateway), legacy --link lines kept current when the
// linked container restarts, then the container's own addresses with its hostname in join order.
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';
import { dockerShell } from './docker-shell.js';

const host = () => dockerShell(1);

const DEFAULTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::\tip6-localnet',
  'ff00::\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];
const file = (...lines: string[]) => `${[...DEFAULTS, ...lines].join('\n')}\n`;

describe('/etc/hosts', () => {
  test('--add-host (host-gateway = the default bridge gateway), then the FQDN and short hostname', () => {
    const h = host();
    h.run('docker network create app');
    h.run(
      'docker run -d --name web --network app --hostname web1 --domainname corp.example --add-host db.local:10.9.9.9 --add-host gw=host-gateway img',
    );
    expect(h.run('docker exec web cat /etc/hosts')).toBe(
      file('10.9.9.9\tdb.local', '172.17.0.1\tgw', '172.18.0.2\tweb1.corp.example web1'),
    );
    expect(h.run('docker exec web cat /etc/hostname')).toBe('web1\n');
  });

  test('default hostname is the short id; one line per network in join order; disconnect removes it', () => {
    const h = host();
    h.run('docker network create a');
    h.run('docker network create b');
    const id = h.run('docker run -d --name c --network a img').trim().slice(0, 12);
    h.run('docker network connect b c');
    expect(h.run('docker exec c cat /etc/hostname')).toBe(`${id}\n`);
    expect(h.run('docker exec c cat /etc/hosts')).toBe(file(`172.18.0.2\t${id}`, `172.19.0.2\t${id}`));
    h.run('docker network disconnect a c');
    expect(h.run('docker exec c cat /etc/hosts')).toBe(file(`172.19.0.2\t${id}`));
  });

  test('legacy links: ALIAS CHILD-HOSTNAME [CHILD-NAME], updated when the child restarts', () => {
    const h = host();
    const db = h.run('docker run -d --name db img').trim().slice(0, 12);
    const app = h.run('docker run -d --name app --link db:database --link db img').trim().slice(0, 12);
    expect(h.run('docker exec app cat /etc/hosts')).toBe(
      file(`172.17.0.2\tdatabase ${db} db`, `172.17.0.2\tdb ${db}`, `172.17.0.3\t${app}`),
    );
    h.run('docker stop db');
    h.run('docker run -d --name other img'); // takes 172.17.0.2
    h.run('docker start db');
    expect(h.engine().endpointsOf(h.engine().container('db'))[0]!.ip).toBe('172.17.0.4');
    expect(h.run('docker exec app cat /etc/hosts')).toBe(
      file(`172.17.0.4\tdatabase ${db} db`, `172.17.0.4\tdb ${db}`, `172.17.0.3\t${app}`),
    );
  });

  test('--network container:NAME shares the files of NAME', () => {
    const h = host();
    h.run('docker run -d --name web --add-host x:192.0.2.1 img');
    h.run('docker run -d --name side --network container:web img');
    expect(h.run('docker exec side cat /etc/hosts')).toBe(h.run('docker exec web cat /etc/hosts'));
    expect(h.run('docker exec side cat /etc/hostname')).toBe(h.run('docker exec web cat /etc/hostname'));
  });

  test('errors as docker reports them', () => {
    const h = host();
    expect(() => h.run('docker run -d --add-host nohost img')).toThrow(
      'invalid argument "nohost" for "--add-host" flag: bad format for add-host: "nohost"',
    );
    expect(() => h.run('docker run -d --add-host a:1.2.3 img')).toThrow(
      'invalid IP address in add-host: "1.2.3"',
    );
    h.run('docker run -d --name web img');
    expect(() => h.run('docker run -d --network container:web --hostname x img')).toThrow(
      'conflicting options: hostname and the network mode',
    );
    expect(() => h.run('docker run -d --network container:web --add-host a:1.2.3.4 img')).toThrow(
      'conflicting options: custom host-to-IP mapping and the network mode',
    );
  });
});

test('--hostname is also a DNS name of the container on user-defined networks (buildEndpointDNSNames)', async () => {
  await loadPlugins();
  const o = runScenario(
    loadScenarioText(
      `netsim: 1
hosts: [host]
images:
  idle: { serve: [] }
steps:
  - in: host
    run: |
      ip link set lo up
      docker network create --subnet 10.1.0.0/24 app
      docker run -d --name web --network app --hostname www1 idle
      docker run -d --name client --network app idle
traffic:
  - { at: 1s, name: q, from: client, dns: www1 }
`,
      'hostname.yaml',
    ),
  );
  expect(o.probes.q).toMatchObject({ rcode: 'NOERROR', answers: ['10.1.0.2'] });
});
