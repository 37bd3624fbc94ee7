import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One HTTP request to repeat under load. */
export interface LoadTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** The server's CPU time so far, in microseconds; gives the CPU each request cost. */
  serverCpuMicros?: () => Promise<number>;
}

export interface Measurement {
  requestsPerSecond: number;
  /** Server CPU per answered request, in microseconds (NaN without `serverCpuMicros`). */
  cpuMicrosPerRequest: number;
}

/** Load on one target; any answer but a 2xx fails the measurement rather than skew it. */
export async function measure(target: LoadTarget, options: LoadOptions): Promise<Measurement> {
  const cpuBefore = (await options.serverCpuMicros?.()) ?? Number.NaN;
  const result = await autocannon({
    url: target.url,
    headers: target.headers,
    connections: options.connections,
    duration: options.seconds,
  });
  const cpuAfter = (await options.serverCpuMicros?.()) ?? Number.NaN;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${target.url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
  const answered = result['2xx'];
  return { requestsPerSecond: answered / result.duration, cpuMicrosPerRequest: (cpuAfter - cpuBefore) / answered };
}

export interface Comparison {
  /** Medians of each side. */
  a: Measurement;
  b: Measurement;
  /** Throughput of a over b. */
  ratio: number;
  /** CPU per request of b over a: the throughput ratio a CPU-bound server would show, less sensitive to other load. */
  cpuRatio: number;
}

/**
 * Measures two targets of the same server alternately (A, B, A, B, …) after warming both, so drift on a shared
 * machine hits both sides alike, and compares their medians.
 */
export async function compareThroughput(
  a: LoadTarget,
  b: LoadTarget,
  options: LoadOptions & { rounds: number; warmupSeconds: number },
): Promise<Comparison> {
  const warmup = { ...options, seconds: options.warmupSeconds };
  await measure(a, warmup);
  await measure(b, warmup);
  const samples = { a: [] as Measurement[], b: [] as Measurement[] };
  for (let round = 0; round < options.rounds; round++) {
    samples.a.push(await measure(a, options));
    samples.b.push(await measure(b, options));
  }
  const medians = (side: Measurement[]): Measurement => ({
    requestsPerSecond: median(side.map((sample) => sample.requestsPerSecond)),
    cpuMicrosPerRequest: median(side.map((sample) => sample.cpuMicrosPerRequest)),
  });
  const [medianA, medianB] = [medians(samples.a), medians(samples.b)];
  return {
    a: medianA,
    b: medianB,
    ratio: medianA.requestsPerSecond / medianB.requestsPerSecond,
    cpuRatio: medianB.cpuMicrosPerRequest / medianA.cpuMicrosPerRequest,
  };
}

/** Wall-clock milliseconds one call of `run` takes. */
export async function timeMs(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
