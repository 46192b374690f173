// Loads the modules that register command tools and applications, so a scenario can use them.
// Tools: src/control/all.ts. Applications: src/apps/all.ts once it exists (it registers factories with
// app-registry.ts); until then probes report that their app is not available.

import '../control/all.js';

let loaded: Promise<void> | null = null;

/** Imports the optional application modules once. */
export function loadPlugins(): Promise<void> {
  loaded ??= (async () => {
    const apps = '../apps/all.js';
    try {
      await import(apps);
    } catch (e) {
      // Only "the module itself does not exist" is expected; an error inside it is a bug to show.
      if (!String((e as Error).message).includes('apps/all')) throw e;
    }
  })();
  return loaded;
}
