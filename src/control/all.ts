// Loads every command tool and `ip` object so that they register themselves. Import this once
// (the scenario runner and the CLI do) before running command lines.
import './ip/index.js';
import './ip/link.js';
import './sysctl.js';
