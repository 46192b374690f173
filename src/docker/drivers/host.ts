// The `host` driver (libnetwork drivers/host): the container shares the host's namespace, so there
// is nothing to create — no devices, addresses or firewall rules. Published ports are discarded
// (daemon_unix.go: "Published ports are discarded when using host network mode").

import { type CompileContext, type NetworkDriver, registerDriver } from './driver.js';

const nothing = (_c: CompileContext): void => {};

export const hostDriver: NetworkDriver = {
  name: 'host',
  createNetwork: nothing,
  deleteNetwork: nothing,
  join: nothing,
  leave: nothing,
  externalConnectivity: nothing,
};

registerDriver(hostDriver);
