// Loads every command tool and `ip` object so that they register themselves. Import this once
// (the scenario runner and the CLI do) before running command lines.
import './ip/index.js';
import './ip/link.js';
import './ip/addr.js';
import './ip/route.js';
import './ip/neigh.js';
import './ip/link-types/vxlan.js';
import './ip/link-types/macvlan.js';
import './ip/link-types/vlan.js';
import './ip/link-types/ipvlan.js';
import './ip/link-types/ipip.js';
import './bridge.js';
import './sysctl.js';
import './modprobe.js';
import './iptables.js';
import './iptables-restore.js';
import './iptables-save.js';
import './ipset.js';
import './conntrack.js';
// Connection tracking registers itself in a namespace when its ruleset first needs it.
import '../netfilter/conntrack/enable.js';
import './ipvsadm.js';
import './docker.js';
