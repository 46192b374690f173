// The docker CLI's table output: Go's text/tabwriter with minwidth 10, padding 3, padchar ' '
// (docker/cli formatter: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)); the last column is not padded.

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((cell, i) => {
      if (i < r.length - 1) widths[i] = Math.max(widths[i] ?? 0, Math.max(10, cell.length + 3));
    });
  return (
    rows
      .map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join(''))
      .join('\n') + '\n'
  );
}

/** go-units HumanDuration, as `docker ps` prints CREATED and STATUS. */
export function humanDuration(ns: number): string {
  const s = Math.floor(ns / 1e9);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  return `${Math.floor(h / 24)} days`;
}
