// Address arguments as iptables parses them (xtables_ipparse_any / xtables_ipmask_to_numeric):
// `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d/m.m.m.m`; the stored address is masked.

import { tryParseIpv4 } from '../../wire/ipv4-address.js';
import { paramError } from '../module.js';

export function parseCidrArg(text: string): { addr: number; mask: number } {
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (/^[0-9]+$/.test(m)) {
      const n = Number(m);
      if (n > 32) throw paramError(`invalid mask \`${m}' specified`);
      mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    } else {
      const mm = tryParseIpv4(m);
      if (mm < 0) throw paramError(`invalid mask \`${m}' specified`);
      mask = mm;
    }
  }
  const a = tryParseIpv4(host);
  if (a < 0) throw paramError(`host/network \`${host}' not found`);
  return { addr: (a & mask) >>> 0, mask };
}
