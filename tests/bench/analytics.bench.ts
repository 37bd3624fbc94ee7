import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Database } from '../../db/client.js';
import * as schema from '../../db/schema/index.js';
import { defineAbilityFor, type Principal } from '../../server/auth/abilities.js';
import { partnerPerformance } from '../../server/domain/analytics/partner-performance.js';
import { programHealth } from '../../server/domain/analytics/program-health.js';
import { rawSources } from '../../server/domain/analytics/sources.js';
import { listPartners } from '../../server/domain/partners/list.js';
import { listPartnersInput } from '../../server/domain/partners/schemas.js';
import { median, timeMs } from './lib/load.js';
import { benchDataset, dropDatasets } from './lib/datasets.js';
import type { ScratchDatabase } from './lib/scratch-database.js';

/**
 * Analytics at scale, on a scratch database seeded by `seedBenchData` (db/seed.ts):
 * - the dashboards reading the rollups against the very same queries reading aggregates computed from the raw
 *   referral events and commissions on the fly (`rawSources`): same code, same planner, only the source differs;
 * - partners.list through its domain function against the SQL it sends, run with pg directly.
 * Each pair is checked to give equal answers, warmed up, then timed alternately; ratio = baseline median ÷ ours.
 */


interface Row {
  scenario: string;
  ratio: number;
  goal?: number;
  note?: string;
  sideA?: string;
  sideB?: string;
}

interface Timing {
  ours: number;
  baseline: number;
}

/**
 * Both sides once (their answers must agree), `warmup` more rounds, then `rounds` alternating rounds; our side,
 * being the fast one, gets `extra` more rounds after that. Medians. With `timedCheck`, the check's own run of each
 * side is a round too: for a baseline that takes seconds, its first run is as warm as the later ones (it reads
 * every event from the OS cache either way), and a bench run is a minute shorter for it.
 */
async function compare(
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
  options: { warmup: number; rounds: number; extra?: number; timedCheck?: boolean },
) {
  const times = { ours: [] as number[], baseline: [] as number[] };
  const checked = async (run: () => Promise<unknown>, rounds: number[]) => {
    const started = performance.now();
    const answer = await run();
    if (options.timedCheck) rounds.push(performance.now() - started);
    return answer;
  };
  const [mine, theirs] = [await checked(ours, times.ours), await checked(baseline, times.baseline)];
  if (!isDeepStrictEqual(mine, theirs)) throw new Error('the two sides returned different answers');
  for (let round = 0; round < options.warmup; round++) {
    await ours();
    await baseline();
  }
  for (let round = 0; round < options.rounds; round++) {
    times.ours.push(await timeMs(ours));
    times.baseline.push(await timeMs(baseline));
  }
  for (let round = 0; round < (options.extra ?? 0); round++) times.ours.push(await timeMs(ours));
  return { ours: median(times.ours), baseline: median(times.baseline), rounds: times };
}

function row(scenario: string, timing: Timing, goal: number, note: string, labels = { ours: 'rollups', baseline: 'raw' }): Row {
  return {
    scenario,
    ratio: timing.baseline / timing.ours,
    goal,
    note,
    sideA: `${labels.ours} ${timing.ours.toFixed(1)} ms median`,
    sideB: `${labels.baseline} ${timing.baseline.toFixed(1)} ms median`,
  };
}

const callerFor = (principal: Principal) => ({
  actor: { ...principal, requestId: null },
  ability: defineAbilityFor(principal),
});

/** The SQL statements one listPartners call sends, captured through drizzle's logger. */
async function partnersListStatements(scratch: ScratchDatabase, input: ReturnType<typeof listPartnersInput.parse>, principal: Principal) {
  const statements: { sql: string; params: unknown[] }[] = [];
  const logging = drizzle(scratch.pool, { schema, logger: { logQuery: (sql, params) => statements.push({ sql, params }) } }) as Database;
  await listPartners(logging, defineAbilityFor(principal), input);
  return statements;
}

function log(message: string) {
  console.error(`[analytics bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

export async function run(): Promise<Row[]> {
  const { scratch, seed, description: seeded } = await benchDataset('large');
  const admin = callerFor({ userId: 'bench-admin', roles: ['affiliate_admin'] });
  const year = { from: seed.range.from, to: seed.range.to };
  const rows: Row[] = [];
  const sizes = await scratch.pool.query<{ events: number; partners: number }>(
    `select (select count(*)::int from referral_events where partner_id = $1) as events,
       (select count(*)::int from partners where program_id = $2) as partners`,
    [seed.busiestPartnerId, seed.busiestProgramId],
  );
  const { events: busiestEvents, partners: programPartners } = sizes.rows[0]!;
  const thousands = (n: number) => `${Math.round(n / 1000)}k`;

  log('partnerPerformance');
  const performanceInput = { partnerId: seed.busiestPartnerId, dateRange: year, granularity: 'day' as const };
  const performanceTiming = await compare(
    () => partnerPerformance(scratch.db, admin, performanceInput),
    () => partnerPerformance(scratch.db, admin, performanceInput, rawSources),
    // The raw side takes seconds a run at 1M: its answer check and two rounds time it; ours gets twenty.
    { warmup: 0, rounds: 2, extra: 17, timedCheck: true },
  );
  rows.push(
    row(
      `analytics.partnerPerformance, the busiest partner (${thousands(busiestEvents)} events), a year by day, with its program percentile: rollups vs aggregating the raw events`,
      performanceTiming,
      100,
      `${seeded}; same queries over rollups or over aggregates of referral_events/commissions; answers checked equal`,
    ),
  );

  log('programHealth');
  const healthInput = { programId: seed.busiestProgramId, dateRange: year };
  const healthTiming = await compare(
    () => programHealth(scratch.db, admin, healthInput),
    () => programHealth(scratch.db, admin, healthInput, rawSources),
    // The raw side takes ~30 s a run at 1M: the answer check and one round (their mean) against ours' median of six.
    { warmup: 0, rounds: 1, extra: 4, timedCheck: true },
  );
  rows.push(
    row(
      `analytics.programHealth, the busiest program (${thousands(programPartners)} partners), a year: rollups vs aggregating the raw events`,
      healthTiming,
      20,
      `${seeded}; partner-table metrics (growth, compliance) cost the same on both sides; answers checked equal`,
    ),
  );

  log('partners.list');
  const listInput = listPartnersInput.parse({
    status: ['active', 'suspended'],
    programId: seed.busiestProgramId,
    tier: ['silver', 'gold'],
    sort: { field: 'createdAt', direction: 'desc' },
    limit: 50,
  });
  const callers: [string, Principal][] = [
    ['affiliate admin', { userId: 'bench-admin', roles: ['affiliate_admin'] }],
    ['partner manager, PII per row', { userId: seed.managerIds[0]!, roles: ['partner_manager'] }],
  ];
  for (const [label, principal] of callers) {
    const statements = await partnersListStatements(scratch, listInput, principal);
    const ability = defineAbilityFor(principal);
    const listTiming = await compare(
      () => listPartners(scratch.db, ability, listInput).then(() => true),
      () => Promise.all(statements.map((statement) => scratch.pool.query(statement.sql, statement.params))).then(() => true),
      { warmup: 3, rounds: 15 },
    );
    rows.push(
      row(
        `partners.list, status + program + tier filters, page of 50 with total (${label}): the domain function vs the same SQL through pg`,
        listTiming,
        0.6,
        `${seeded}; ${statements.length} statements, run concurrently on both sides as the domain function does`,
        { ours: 'domain', baseline: 'pg' },
      ),
    );
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    for (const result of await run()) {
      console.log(`${result.scenario}: ${result.ratio.toFixed(2)}× (goal ${result.goal}) — ${result.sideA} vs ${result.sideB}; ${result.note}`);
    }
  } finally {
    await dropDatasets();
  }
}
