/**
 * The README shows the latest benchmark results. Each table lives between two markers, so a bench run with
 * `--readme` replaces exactly its own table and nothing else.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function writeReadmeSection(name: string, markdown: string, file = 'README.md'): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} markers to write the results between`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${markdown.trim()}\n${text.slice(to)}`);
}
