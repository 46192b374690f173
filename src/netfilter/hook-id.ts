// Hook and table numbers shared by the rule model and the traversal (kept apart from hooks.ts so
// table.ts can use them at load time without an import cycle).

/** enum nf_inet_hooks (include/uapi/linux/netfilter.h). */
export const Hook = { PreRouting: 0, LocalIn: 1, Forward: 2, LocalOut: 3, PostRouting: 4 } as const;
export type Hook = (typeof Hook)[keyof typeof Hook];
export const HOOK_COUNT = 5;
/** Built-in chain names by hook. */
export const HOOK_NAMES: readonly string[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** Table ids; also the order iptables-nft 1.8.9 saves them in (enum nft_table_type), security omitted. */
export const TableId = { Mangle: 0, Raw: 1, Filter: 2, Nat: 3 } as const;
export type TableId = (typeof TableId)[keyof typeof TableId];
export const TABLE_NAMES: readonly string[] = ['mangle', 'raw', 'filter', 'nat'];

/** Built-in chains (hooks) of each table, in the order iptables lists them. */
export const TABLE_HOOKS: readonly (readonly Hook[])[] = [
  [Hook.PreRouting, Hook.LocalIn, Hook.Forward, Hook.LocalOut, Hook.PostRouting],
  [Hook.PreRouting, Hook.LocalOut],
  [Hook.LocalIn, Hook.Forward, Hook.LocalOut],
  [Hook.PreRouting, Hook.LocalIn, Hook.LocalOut, Hook.PostRouting],
];

export function tableIdOf(name: string): number {
  return TABLE_NAMES.indexOf(name);
}
