/**
 * What every benchmark reports: medians and high quantiles of repeated runs, and ratios against a baseline
 * measured in the same run (these machines are shared and noisy; only ratios within one run hold).
 */

/** The q-quantiles (each 0..1) by the nearest-rank method, sorting once; null when there is nothing to rank. */
export function quantiles(values: readonly number[], qs: readonly number[]): Array<number | null> {
  const sorted = [...values].sort((a, b) => a - b);
  return qs.map((q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : null));
}

export const quantile = (values: readonly number[], q: number) => quantiles(values, [q])[0];

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** `value / baseline` as `1.23x`, or `–` when either is missing. */
export function ratio(value: number | null, baseline: number | null): string {
  if (value === null || baseline === null || baseline === 0) return '–';
  return `${(value / baseline).toFixed(2)}x`;
}

/** One section of `npm run bench`: a heading, a markdown table (with notes), and the figures behind it. */
export interface BenchSection {
  title: string;
  markdown: string;
  data: unknown;
}

export interface BenchOptions {
  /** Few runs: proves the bench works (CI), not a measurement. */
  quick: boolean;
}

/** A markdown table from a header row and body rows. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
