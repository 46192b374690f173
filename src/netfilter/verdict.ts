// Netfilter verdicts and the internal codes a rule's target returns.
//
// `Verdict` is what `Netfilter.run` hands back to the IPv4 / bridge layer (include/uapi/linux/netfilter.h:
// NF_DROP 0, NF_ACCEPT 1, NF_STOLEN 2; NF_QUEUE is not emulated). REJECT is DROP plus a reply the target
// emits through `Netfilter.rejecter` before returning. The other codes are private to rule traversal
// (XT_CONTINUE / XT_RETURN in include/uapi/linux/netfilter/x_tables.h).

export const Verdict = {
  Drop: 0,
  Accept: 1,
  /** The hook took the frame (a target consumed it); the caller must not touch it again. */
  Stolen: 2,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What an extension target's `exec` returns besides a Verdict. */
export const XT_CONTINUE = -1;
export const XT_RETURN = -2;

/** Names for traces and tests. */
export const VERDICT_NAMES: readonly string[] = ['DROP', 'ACCEPT', 'STOLEN'];
