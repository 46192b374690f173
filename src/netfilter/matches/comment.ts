// -m comment (iptables-extensions(8) "comment"): up to 255 characters, never filters.

import { type ArgReader, type MatchModule, paramError, saveString, XtError } from '../module.js';

export interface CommentInfo {
  text: string | null;
}

export const commentModule: MatchModule<CommentInfo> = {
  name: 'comment',
  options: ['--comment'],
  create: () => ({ text: null }),
  parse(info, _opt, args: ArgReader, invert) {
    if (invert) throw paramError("comment: unexpected `!' with --comment");
    const t = args.arg();
    if (t.length > 255) throw paramError(`comment: option "--comment" value too long (max 255)`);
    info.text = t;
  },
  finalCheck(info) {
    if (info.text === null) throw new XtError('comment: option "--comment" must be specified', 'param-nl');
  },
  print: (i) => ` /* ${i.text} */`,
  save: (i) => ` --comment${saveString(i.text ?? '')}`,
  compile: () => null,
};
