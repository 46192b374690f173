// The `null` driver behind the `none` network (libnetwork drivers/null): the container gets its own
// sandbox with only `lo`, and the driver adds nothing to it.

import { type CompileContext, type NetworkDriver, registerDriver } from './driver.js';

const nothing = (_c: CompileContext): void => {};

export const nullDriver: NetworkDriver = {
  name: 'null',
  createNetwork: nothing,
  deleteNetwork: nothing,
  join: nothing,
  leave: nothing,
  externalConnectivity: nothing,
};

registerDriver(nullDriver);
