import { performance } from 'node:perf_hooks';
import { seedBenchData, type BenchProgress, type BenchSeed } from '../../../db/seed.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.js';

/** `BENCH_SCALE=0.01 npm run bench` shrinks the data sets for a quick try of the benchmarks themselves. */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);

/** The two scales of the generated data: 1× and the volume of a real program (1M partners, 10M events a year). */
export const DATASETS = {
  small: { partners: Math.round(100_000 * SCALE), events: Math.round(1_000_000 * SCALE) },
  large: { partners: Math.round(1_000_000 * SCALE), events: Math.round(10_000_000 * SCALE) },
} as const;
export type DatasetName = keyof typeof DATASETS;

export interface Dataset {
  name: DatasetName;
  scratch: ScratchDatabase;
  seed: BenchSeed;
  seedSeconds: number;
  /** "1M partners, 10M events over a year, seeded in 240 s". */
  description: string;
}

const seeded = new Map<DatasetName, Promise<Dataset>>();

export const count = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : String(n));

/**
 * A scratch database seeded by `seedBenchData` at one of the two scales, generated once per process and shared by
 * every benchmark that reads it (seeding 10M events is most of a bench run's time). A benchmark that changes the
 * data puts it back as it found it. `dropDatasets` removes them at the end of the run.
 */
export function benchDataset(name: DatasetName): Promise<Dataset> {
  let dataset = seeded.get(name);
  if (!dataset) {
    dataset = seedDataset(name);
    seeded.set(name, dataset);
  }
  return dataset;
}

async function seedDataset(name: DatasetName): Promise<Dataset> {
  const { partners, events } = DATASETS[name];
  const scratch = await createScratchDatabase({ poolSize: 4 });
  try {
    const started = performance.now();
    const seed = await seedBenchData(scratch.db, { partners, events, seed: 42, onProgress: progressLogger(name) });
    const seedSeconds = (performance.now() - started) / 1000;
    const description = `${count(partners)} partners, ${count(events)} events over a year, seeded in ${seedSeconds.toFixed(0)} s`;
    return { name, scratch, seed, seedSeconds, description };
  } catch (error) {
    await scratch.drop().catch(() => {});
    throw error;
  }
}

export async function dropDatasets(): Promise<void> {
  const datasets = [...seeded.values()];
  seeded.clear();
  for (const dataset of datasets) {
    const ready = await dataset.catch(() => undefined);
    await ready?.scratch.drop();
  }
}

function progressLogger(name: DatasetName): (progress: BenchProgress) => void {
  let last = '';
  return ({ stage, done, total }) => {
    if (done === total && stage !== last) {
      last = stage;
      console.error(`[bench data ${name} ${new Date().toISOString().slice(11, 19)}] seeded ${stage}`);
    }
  };
}
