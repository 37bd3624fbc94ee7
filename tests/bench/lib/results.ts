import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { z } from 'zod';

/** What every benchmark reports: `ratio` is ours over the baseline, so higher is better. */
export const benchRow = z.object({
  scenario: z.string(),
  ratio: z.number(),
  /** The lowest acceptable ratio. */
  goal: z.number().optional(),
  note: z.string().optional(),
  /** What each side measured, e.g. "12,345 req/s". */
  sideA: z.string().optional(),
  sideB: z.string().optional(),
});
export type BenchRow = z.infer<typeof benchRow>;

export function renderTable(rows: BenchRow[]): string {
  const lines = ['| scenario | ratio | goal | measured side A | side B |', '| --- | --- | --- | --- | --- |'];
  for (const row of rows) {
    const goal = row.goal === undefined ? '—' : `≥ ${row.goal} (${row.ratio >= row.goal ? 'met' : 'missed'})`;
    const ratio = Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}×` : 'failed';
    lines.push(`| ${row.scenario} | ${ratio} | ${goal} | ${row.sideA ?? '—'} | ${row.sideB ?? '—'} |`);
  }
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.scenario}: ${row.note}`);
  return [...lines, ...(notes.length > 0 ? ['', 'Notes:', ...notes] : [])].join('\n');
}

export function describeMachine(): string {
  const cpus = os.cpus();
  const memory = `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${memory} memory; ${os.type()} ${os.release()}; Node ${process.version}`;
}

export function describeCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export async function writeResults(file: string, rows: BenchRow[], method: string): Promise<string> {
  const report = [
    '# Benchmark results',
    '',
    `- Machine: ${describeMachine()}`,
    `- Date: ${new Date().toISOString()}`,
    `- Commit: ${describeCommit()}`,
    '',
    renderTable(rows),
    '',
    method,
    '',
  ].join('\n');
  await writeFile(file, report);
  return report;
}
