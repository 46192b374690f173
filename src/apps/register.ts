// Registers netsim's applications with the scenario app registry (src/scenario/app-registry.ts).
// Imported for its side effect by src/apps/all.ts, which the scenario runner loads.

import { registerApp } from '../scenario/app-registry.js';
import { DnsProbe } from './dns-client.js';
import { DnsServer } from './dns-server.js';
import { PingProbe } from './ping.js';
import { TcpProbe } from './tcp-client.js';
import { TcpEchoPeer } from './tcp-echo-peer.js';
import { UdpEchoPeer } from './udp-echo-peer.js';
import { UdpProbe } from './udp-sender.js';

registerApp('ping', (ctx, opts) => new PingProbe(ctx, opts));
registerApp('udp', (ctx, opts) => new UdpProbe(ctx, opts));
registerApp('tcp', (ctx, opts) => new TcpProbe(ctx, opts));
registerApp('dns', (ctx, opts) => new DnsProbe(ctx, opts));
registerApp('udp-echo-peer', (ctx, opts) => new UdpEchoPeer(ctx, opts));
registerApp('tcp-echo-peer', (ctx, opts) => new TcpEchoPeer(ctx, opts));
registerApp('dns-server', (ctx, opts) => new DnsServer(ctx, opts));
