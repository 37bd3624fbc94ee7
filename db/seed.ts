/**
 * Bench data, generated inside PostgreSQL (INSERT … SELECT generate_series), so millions of rows take minutes:
 *
 *   npm run seed:bench -- --partners 100000 --events 2000000 [--seed 42]
 *
 * against DATABASE_URL, or the embedded PostgreSQL `npm start` uses. Progress goes to stderr, a summary to stdout.
 * `seedBenchData` is the same generator for benchmarks on a scratch database.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { loadConfig } from '../server/config.js';
import type { Actor } from '../server/context.js';
import { activeDayBit, activeMonthBit, attributedEvents, eventMeasures, yearOf } from '../server/domain/analytics/rollups.js';
import { resetWindows } from '../server/domain/analytics/windows.js';
import { accrueCommissions } from '../server/domain/commissions/accrue.js';
import { approveDueIn } from '../server/domain/commissions/approve.js';
import { reverseForRefunds } from '../server/domain/commissions/reverse.js';
import { programConfiguration, type ProgramConfiguration } from '../server/domain/programs/configuration.js';
import { connectDatabase, type Database, type Executor } from './client.js';
import { startEmbeddedPostgres } from './embedded.js';
import { runMigrations } from './migrate.js';

export interface BenchProgress {
  stage: string;
  done: number;
  total: number;
}

export interface BenchSeedOptions {
  partners: number;
  events: number;
  onProgress?: (progress: BenchProgress) => void;
  /** Makes the random choices repeatable (PostgreSQL's setseed). */
  seed?: number;
  now?: Date;
}

export interface BenchSeed {
  /** Names every row of this run: referral codes, emails, external ids. */
  tag: string;
  /** The seed's present: the events end before it, and the programs' performance thresholds are set for it. */
  now: Date;
  /** The year the referral events fall in: [from, to), `to` being the start of today (UTC). */
  range: { from: Date; to: Date };
  programIds: string[];
  managerIds: string[];
  partners: number;
  events: number;
  commissions: number;
  /** The partner with the most events (the skew makes it carry about 1% of all of them) and its program. */
  busiestPartnerId: string;
  busiestProgramId: string;
}

const DAY_MS = 86_400_000;
const PROGRAM_CURRENCIES = ['USD', 'USD', 'USD', 'EUR'];
/** The share of enrolled partners who accepted the current agreement version (the others, only the previous). */
const CURRENT_AGREEMENT_SHARE = 0.85;
/** The W-9s of the program requiring them: approved and valid, approved and expired, awaiting review. */
const W9_SHARES = { valid: 0.8, expired: 0.07, pending: 0.05 };
/** Their expiry in days from the seed's end: valid ones (and those awaiting review) a year ahead, expired ones a month past. */
const W9_EXPIRES_IN_DAYS = { valid: 365, expired: -30 };
const BATCH_ROWS = 2_000_000;
const SEED_ACTOR: Actor = { userId: 'system:bench-seed', roles: [], requestId: null };
/** Shares of the events: clicks ≫ leads > sales; refunds are drawn from the sales. */
const LEAD_SHARE = 0.08;
const SALE_SHARE = 0.05;
const REFUND_SHARE_OF_SALES = 0.15;

/** The tables partnerRecords fills (program_updates has a dozen rows). */
const PARTNER_RECORD_TABLES = ['partner_tree', 'enrollments', 'agreement_acceptances', 'compliance_documents', 'program_update_recipients', 'accounts', 'partner_accounts'];

const instant = (at: Date) => sql`${at.toISOString()}::timestamptz`;

/**
 * PostgreSQL's setseed value in [-1, 1) for the slice at `offset` of a seeded run: a 32-bit mix of both, so slices
 * draw different numbers (offsets are multiples of the slice size, so anything modular in them would repeat).
 */
function seedFor(seed: number, offset: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(offset | 0, 0xc2b2ae35) ^ Math.imul(Math.floor(offset / 2 ** 32), 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 31 - 1;
}

/**
 * How many statements the seed runs at once, each on its own connection, when they fill different tables:
 * PostgreSQL runs an INSERT … SELECT on one core, and this machine has two. Loads into one table go one at a time
 * (PostgreSQL 15 extends a table a page at a time under one lock: two loaders of one table were slower than one).
 */
const CONCURRENCY = 2;

/** Runs the tasks, CONCURRENCY at a time, in order of start. */
async function concurrently<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker));
  return results;
}

/** Runs `[first, last]` in slices of `size`, one after the other, reporting each. */
async function inSlices(first: number, last: number, size: number, report: (done: number) => void, run: (from: number, to: number) => Promise<void>) {
  for (let from = first; from <= last; from += size) {
    const to = Math.min(last, from + size - 1);
    await run(from, to);
    report(to - first + 1);
  }
}

/**
 * Adds a bench data set to the database (its rows are named by a fresh tag, so it can run more than once): programs,
 * partners and everything about them, a year of referral events, the ledger and the rollups. See docs/analytics.md.
 */
export async function seedBenchData(db: Database, options: BenchSeedOptions): Promise<BenchSeed> {
  const { partners: partnerCount, events: eventCount } = options;
  if (!Number.isInteger(partnerCount) || partnerCount < 10) throw new Error('partners must be an integer of at least 10');
  if (!Number.isInteger(eventCount) || eventCount < 100) throw new Error('events must be an integer of at least 100');
  const tag = randomBytes(4).toString('hex');
  const now = options.now ?? new Date();
  const to = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const from = new Date(to.getTime() - 365 * DAY_MS);
  const progress = (stage: string, total: number) => (done: number) => options.onProgress?.({ stage, done, total });
  const seeded = (tx: Executor, offset: number) =>
    options.seed === undefined ? Promise.resolve() : tx.execute(sql`select setseed(${seedFor(options.seed, offset)}::float8)`);
  const context: SeedContext = { tag, from, to, now, partnerCount, seeded };

  const setup = await db.transaction(async (tx) => createSetup(tx, context));
  const withSetup = { ...context, ...setup };
  await loadDeferringIndexes(db, ['partners'], progress, () =>
    inSlices(0, partnerCount - 1, 250_000, progress('partners', partnerCount), (first, last) =>
      db.transaction(async (tx) => {
        await bulkWriting(tx);
        await seeded(tx, first);
        await insertPartners(tx, withSetup, first, last);
      }),
    ),
  );
  const earners = sql.raw(`bench_earners_${tag}`);
  try {
    const busiest = await db.transaction((tx) => createEarners(tx, withSetup, earners));
    await loadDeferringIndexes(db, PARTNER_RECORD_TABLES, progress, async () => {
      const statements = partnerRecords(withSetup, earners);
      const report = progress('partner records', statements.length);
      let done = 0;
      await concurrently(
        statements.map((statement, index) => async () => {
          await db.transaction(async (tx) => {
            await bulkWriting(tx);
            await seeded(tx, -10 - index);
            await tx.execute(statement);
          });
          report(++done);
        }),
      );
    });
    const ids = await loadDeferringIndexes(db, ['referral_events'], progress, () =>
      insertEvents(db, withSetup, earners, eventCount, progress('events', eventCount)),
    );
    const commissions = await insertCommissions(db, withSetup, earners, ids, progress);
    await loadDeferringIndexes(db, ['analytics_partner_days', 'analytics_partner_months', 'analytics_partner_years', 'analytics_partner_activity'], progress, () =>
      foldRollups(db, withSetup, ids, progress('rollups', 4)),
    );
    progress('windows', 1)(0);
    await loadDeferringIndexes(db, ['analytics_partner_windows'], progress, () => resetWindows(db, to.toISOString().slice(0, 10)));
    progress('windows', 1)(1);
    progress('thresholds', 1)(0);
    await db.transaction((tx) => setPerformanceThresholds(tx, withSetup));
    progress('thresholds', 1)(1);
    // Statistics, and the visibility map index-only scans need (autovacuum may be off, or not yet come by).
    const tables = await db.execute<{ name: string }>(sql`
      select relid::regclass::text as name from pg_stat_user_tables
      where relname <> ${`bench_earners_${tag}`} order by pg_relation_size(relid) desc`);
    const report = progress('analyze', tables.rows.length);
    let analyzed = 0;
    await concurrently(
      tables.rows.map(({ name }) => async () => {
        await db.execute(sql`vacuum analyze ${sql.raw(name)}`);
        report(++analyzed);
      }),
    );
    return {
      tag,
      now,
      range: { from, to },
      programIds: setup.programIds,
      managerIds: setup.managerIds,
      partners: partnerCount,
      events: ids.count,
      commissions,
      ...busiest,
    };
  } finally {
    await db.execute(sql`drop table if exists ${earners}`);
  }
}

/**
 * The seed's own transactions write rows consistent by construction: no foreign-key checks, no row or statement
 * triggers (whatever those would have written, the seed writes set-based itself), and memory for its big joins
 * and sorts instead of spilling to disk.
 */
async function bulkWriting(tx: Executor): Promise<void> {
  await tx.execute(sql`set local session_replication_role = replica`);
  await tx.execute(sql`set local work_mem = '256MB'`);
}

/**
 * Loading into empty tables, builds their indexes once afterwards instead of entry by entry (the bulk-load way:
 * several times faster); into a table with rows, just loads. The indexes of constraints a foreign key depends on
 * stay, and so do the `kept` ones (those the load itself reads, or an ON CONFLICT needs).
 */
async function loadDeferringIndexes<T>(
  db: Database,
  tables: string[],
  progress: Progress,
  load: () => Promise<T>,
  kept: string[] = [],
): Promise<T> {
  const empty: string[] = [];
  for (const table of tables) {
    const result = await db.execute<{ empty: boolean }>(sql`select not exists (select 1 from ${sql.identifier(table)}) as empty`);
    if (result.rows[0]!.empty) empty.push(table);
  }
  // Primary keys and unique constraints no foreign key refers to go too (re-added, so checked, afterwards); those
  // come first in the rebuild, as a constraint's index does in the schema.
  const deferred = (
    await db.execute<{ name: string; drop: string; create: string }>(sql`
      select name, drop_sql as drop, create_sql as create from (
        select 0 as rank, c.conrelid as relation, c.conname as name,
          format('alter table %s drop constraint %I', c.conrelid::regclass, c.conname) as drop_sql,
          format('alter table %s add constraint %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) as create_sql
        from pg_constraint c
        where c.conrelid::regclass::text = any(${sql.param(empty)}::text[]) and c.contype in ('p', 'u')
          and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = c.conindid)
        union all
        select 1, i.indrelid, i.indexrelid::regclass::text, format('drop index %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
        from pg_index i
        where i.indrelid::regclass::text = any(${sql.param(empty)}::text[])
          and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
      ) candidates
      where not (name = any(${sql.param(kept)}::text[]))
      order by rank, relation, name`)
  ).rows;
  for (const index of deferred) await db.execute(sql.raw(index.drop));
  let loaded: T;
  try {
    loaded = await load();
  } finally {
    const report = progress(`indexes of ${tables.join(', ')}`, deferred.length);
    report(0);
    // One at a time: PostgreSQL sorts a B-tree's entries with parallel workers already (measured 10–15% faster
    // than two single-process builds side by side).
    for (const [built, index] of deferred.entries()) {
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local maintenance_work_mem = '1GB'`);
        await tx.execute(sql.raw(index.create));
      });
      report(built + 1);
    }
  }
  await analyzeFresh(db, tables);
  return loaded;
}

/**
 * Statistics for the statements that read freshly loaded tables next (autovacuum may be off, or not have come by):
 * a planner that takes a table of 10M rows for empty picks nested loops (measured: the day rollup's fold 115 s
 * instead of 40 s, the bench seed's largest stage).
 */
async function analyzeFresh(db: Executor, tables: string[]): Promise<void> {
  for (const table of tables) await db.execute(sql`analyze ${sql.identifier(table)}`);
}

/**
 * The day, month, year and activity rollups of the seed's events, each rollup row written once: the seed's partners
 * are new, so they have no rollup rows to add to. It is the backfill of migration 0015, with the definitions
 * ingestion folds by (attributedEvents, eventMeasures): the days and the activity from the events, side by side, then
 * the months summed from the days (a month row is the sum of its day rows) and the years from the months. Loaded
 * before their keys are built.
 */
async function foldRollups(db: Database, seeding: Seeding, ids: EventIds, report: (done: number) => void): Promise<void> {
  const folded = attributedEvents(sql`e.id between ${ids.first} and ${ids.last} and e.external_id like ${`${seeding.tag}-%`}`);
  const run = (statement: SQL) =>
    db.transaction(async (tx) => {
      await bulkWriting(tx);
      // Hash aggregates of millions of groups, in memory (the tables have no index to fill in key order).
      await tx.execute(sql`set local work_mem = '768MB'`);
      await tx.execute(statement);
    });
  let done = 0;
  await concurrently([
    async () => {
      await run(sql`
        insert into analytics_partner_days (partner_id, day, program_id, currency, clicks, leads, sales, refunds, revenue, refunded)
        select partner_id, day, program_id, currency, ${eventMeasures}
        from (${folded}) folded group by 1, 2, 3, 4`);
      report(++done);
      await analyzeFresh(db, ['analytics_partner_days']);
      await run(sql`
        insert into analytics_partner_months (partner_id, month, program_id, currency, clicks, leads, sales, refunds, revenue, refunded, active_days)
        select d.partner_id, date_trunc('month', d.day::timestamp)::date, d.program_id, d.currency, sum(d.clicks)::int,
          sum(d.leads)::int, sum(d.sales)::int, sum(d.refunds)::int, sum(d.revenue)::bigint, sum(d.refunded)::bigint,
          coalesce(bit_or(${activeDayBit(sql`d.day`)}) filter (where d.clicks + d.leads + d.sales > 0), 0)
        from analytics_partner_days d join partners p on p.id = d.partner_id
        where ${ofSeed(seeding, 'p')}
        group by 1, 2, 3, 4`);
      report(++done);
      // The years from the months, as migration 0028 backfills them: the last active day is the highest active-day bit.
      await run(sql`
        insert into analytics_partner_years (program_id, year, partner_id, active_months, last_active_day)
        select m.program_id, ${yearOf(sql`m.month`)}, m.partner_id, bit_or(${activeMonthBit(sql`m.month`)}),
          max(m.month + (32 - position('1' in m.active_days::bit(32)::text)))
        from analytics_partner_months m join partners p on p.id = m.partner_id
        where ${ofSeed(seeding, 'p')} and m.active_days <> 0
        group by 1, 2, 3`);
      report(++done);
    },
    async () => {
      await run(sql`
        insert into analytics_partner_activity (partner_id, first_event_at, last_event_at, first_sale_at, program_id, partner_created_at)
        select f.partner_id, min(f.occurred_at), max(f.occurred_at), min(f.occurred_at) filter (where f.kind = 'sale'), p.program_id, p.created_at
        from (${folded}) f join partners p on p.id = f.partner_id
        where f.kind <> 'refund' group by f.partner_id, p.program_id, p.created_at`);
      report(++done);
    },
  ]);
}

/**
 * Performance thresholds, set by each program's current version (effective today, after the year of events) where
 * the seeded partners' own figures put them, so that at any scale a first run of the performance job at `now`
 * promotes about PROMOTED_SHARE of the bronze and silver partners (revenue over the period at the tier's top
 * quantile) and starts a pending demotion for about DEMOTED_SHARE of the silver and gold ones (active days over
 * the period at or below a bound, gold's one day above silver's). Active days are whole and few, so their shares
 * come in steps: the period and the bound are the combination nearest the share. With tiers 60/30/10 that is about
 * 3% and 7–8% of the active partners. Measured from the day rollups, as the job measures from the events.
 */
const PROMOTED_SHARE = 0.033;
const DEMOTED_SHARE = 0.19;
const THRESHOLD_PERIODS = [90, 180, 365] as const;
const DEMOTION_GRACE_DAYS = 30;
/** About how many partners the bounds are measured on (a random sample beyond that: quantiles need no more). */
const THRESHOLD_SAMPLE = 100_000;

async function setPerformanceThresholds(tx: Executor, seeding: Seeding): Promise<void> {
  const since = (days: number) => sql`((${instant(seeding.now)} - make_interval(days => ${days})) at time zone 'UTC')::date`;
  const perPeriod = (column: (days: number) => SQL) => sql.join(THRESHOLD_PERIODS.map(column), sql`, `);
  await tx.execute(sql`set local work_mem = '256MB'`);
  await tx.execute(sql`
    create temporary table bench_measured on commit drop as
    select p.program_id, p.tier,
      ${perPeriod((days) => sql`coalesce(sum(d.revenue) filter (where d.currency = pr.currency and d.day > ${since(days)}), 0)::bigint
        as ${sql.raw(`revenue_${days}`)}`)},
      ${perPeriod((days) => sql`count(d.day) filter (where d.clicks + d.leads + d.sales > 0 and d.day > ${since(days)})::int
        as ${sql.raw(`active_${days}`)}`)}
    from partners p
    join programs pr on pr.id = p.program_id
    left join analytics_partner_days d on d.partner_id = p.id and d.program_id = p.program_id and d.day > ${since(Math.max(...THRESHOLD_PERIODS))}
    where p.status = 'active' and ${ofSeed(seeding, 'p')} and (hashtext(p.id::text) & 1023) < ${Math.ceil((1024 * THRESHOLD_SAMPLE) / seeding.partnerCount)}
    group by p.id, p.program_id, p.tier`);
  const histogram = await tx.execute<{ tier: 'silver' | 'gold'; period: number; days: number; partners: number }>(sql`
    select tier, x.period, x.days, count(*)::int as partners
    from bench_measured
    cross join lateral (values ${perPeriod((days) => sql`(${days}::int, ${sql.raw(`active_${days}`)})`)}) x(period, days)
    where tier in ('silver', 'gold')
    group by 1, 2, 3`);
  let best = { period: THRESHOLD_PERIODS[0] as number, silver: 0, gold: 1, miss: Infinity };
  for (const period of THRESHOLD_PERIODS) {
    const rows = histogram.rows.filter((row) => row.period === period);
    const atMost = (tier: string, bound: number) =>
      rows.filter((row) => row.tier === tier && row.days <= bound).reduce((sum, row) => sum + row.partners, 0);
    const total = rows.reduce((sum, row) => sum + row.partners, 0);
    // Gold asks one active day more than silver: a wider gap would pick gold's bound to fill silver's share.
    for (let silver = 0; silver < 60; silver++) {
      const miss = Math.abs((atMost('silver', silver) + atMost('gold', silver + 1)) / Math.max(1, total) - DEMOTED_SHARE);
      if (miss < best.miss) best = { period, silver, gold: silver + 1, miss };
    }
  }
  const { period } = best;
  const quantiles = await tx.execute<{ program_id: string; tier: string; revenue: number }>(sql`
    select program_id, tier, percentile_disc(${1 - PROMOTED_SHARE}::float) within group (order by ${sql.raw(`revenue_${period}`)})::bigint as revenue
    from bench_measured where tier in ('bronze', 'silver') group by program_id, tier`);
  for (const programId of seeding.programIds) {
    const quantile = (tier: string) => quantiles.rows.find((row) => row.program_id === programId && row.tier === tier)?.revenue ?? 0;
    // Bounds rise with the tier on each metric (the configuration's rule).
    const bronze = Math.max(1, quantile('bronze'));
    const promoteAt = { bronze, silver: Math.max(bronze + 1, quantile('silver')) };
    const current = await tx.execute<{ configuration: ProgramConfiguration }>(sql`
      select configuration from program_versions where program_id = ${programId} order by version desc limit 1`);
    const configuration = current.rows[0]!.configuration;
    const next = programConfiguration.parse({
      ...configuration,
      performanceThresholds: [
        ...(['bronze', 'silver'] as const).map((tier) => ({ tier, metric: 'revenue', periodDays: period, promoteAt: promoteAt[tier] })),
        ...(['silver', 'gold'] as const).map((tier) => ({ tier, metric: 'active_days', periodDays: period, demoteAt: best[tier] })),
      ],
      rules: { ...configuration.rules, demotionGraceDays: DEMOTION_GRACE_DAYS },
    });
    await tx.execute(sql`
      insert into program_versions (program_id, version, configuration, reason, created_by, effective_from)
      values (${programId}, 2, ${JSON.stringify(next)}::jsonb, 'bench seed: performance thresholds', 'bench-seed', ${instant(seeding.to)})`);
  }
}

interface SeedContext {
  tag: string;
  from: Date;
  to: Date;
  now: Date;
  partnerCount: number;
  seeded(tx: Executor, offset: number): Promise<unknown>;
}

interface Setup {
  programIds: string[];
  managerIds: string[];
  /** The previous and the current agreement version. */
  agreementVersions: [AgreementVersion, AgreementVersion];
}

type AgreementVersion = {
  id: string;
  version: number;
};

type Seeding = SeedContext & Setup;

/** Partner managers, two agreement versions (the second requires re-acceptance) and the programs. */
async function createSetup(tx: Executor, context: SeedContext): Promise<Setup> {
  const { tag, from } = context;
  const managers = Math.min(200, Math.max(2, Math.ceil(context.partnerCount / 2_000)));
  const managerRows = await tx.execute<{ id: string }>(sql`
    insert into users (email, name, roles)
    select 'bench-' || ${tag} || '-manager-' || k || '@example.com', 'Bench Manager ' || k, '{partner_manager}'
    from generate_series(1, ${managers}::int) k
    returning id`);
  const agreements = await tx.execute<AgreementVersion>(sql`
    insert into agreement_versions (version, title, body, content_hash, requires_reacceptance, published_by, created_at)
    select coalesce((select max(version) from agreement_versions), 0) + k, 'Bench terms ' || k, 'Terms of the bench program.',
      md5(${tag} || k), true, 'bench-seed', ${instant(from)} - make_interval(days => 400 - 200 * k)
    from generate_series(1, 2) k
    order by k
    returning id, version`);
  const programIds: string[] = [];
  for (const [index, currency] of PROGRAM_CURRENCIES.entries()) {
    const configuration = programConfiguration.parse({
      commissionTiers: ['bronze', 'silver', 'gold'].map((name, rank) => ({
        name,
        rateType: 'percentage',
        value: 1_000 + 500 * rank,
        overrides: [
          { level: 1, rateType: 'percentage', value: 300 },
          { level: 2, rateType: 'percentage', value: 100 },
        ],
      })),
      rules: { requiredDocuments: index === 0 ? ['w9'] : [], maxHierarchyDepth: 3 },
    });
    const [program] = (
      await tx.execute<{ id: string }>(sql`
        insert into programs (name, description, currency, created_at)
        values (${`Bench ${tag} program ${index + 1}`}, 'Generated for benchmarks', ${currency}, ${instant(from)} - interval '2 years')
        returning id`)
    ).rows;
    await tx.execute(sql`
      insert into program_versions (program_id, version, configuration, reason, created_by, effective_from)
      values (${program!.id}, 1, ${JSON.stringify(configuration)}::jsonb, 'bench seed', 'bench-seed', ${instant(from)} - interval '2 years')`);
    programIds.push(program!.id);
  }
  return {
    programIds,
    managerIds: managerRows.rows.map((row) => row.id),
    agreementVersions: [agreements.rows[0]!, agreements.rows[1]!],
  };
}

/** The seed's partner number `n` → its id. */
const partnerId = (tag: string, n: SQL) => sql`md5(${tag} || '-partner-' || ${n})::uuid`;
/** True for the partners of this run (`p` a partners row): their referral codes carry the tag. */
const ofSeed = (seeding: Seeding, p: string) => sql`${sql.raw(p)}.referral_code like ${`B${seeding.tag}-%`}`;

/**
 * Partners n in [first, last]: signed up over the two years before today (older ones have lower numbers), with a
 * realistic status mix (two thirds active), tiers (60/30/10 bronze/silver/gold), 90% with a manager, and a referral
 * hierarchy three levels deep: generations of 40/30/20/10% of the partners, each partner of a later generation
 * under a partner of the one before (same program) half of the time.
 */
async function insertPartners(tx: Executor, seeding: Seeding, first: number, last: number): Promise<void> {
  const { tag, partnerCount: count } = seeding;
  const programCount = seeding.programIds.length;
  const bound = (share: number) => Math.floor((count * share) / programCount) * programCount;
  const [b1, b2, b3] = [bound(0.4), bound(0.7), bound(0.9)];
  const parentIn = (start: number, end: number) =>
    partnerId(tag, sql`(${start} + ${programCount} * floor(u_link * ${Math.max(1, Math.floor((end - start) / programCount))})::int + n % ${programCount})`);
  const start = new Date(seeding.from.getTime() - 365 * DAY_MS);
  const span = seeding.to.getTime() - start.getTime();
  const [previous, current] = seeding.agreementVersions;
  await tx.execute(sql`
    insert into partners (id, referral_code, status, name, email, country, program_id, tier, parent_id, manager_id,
      verified_at, enrolled_at, setup_completed_at, training_completed_at, activated_at, accepted_agreement_version,
      documents_valid_until, created_at, updated_at)
    select id, 'B' || ${tag} || '-' || n, status, 'Bench Partner ' || n, 'bench-' || ${tag} || '-' || n || '@example.com',
      (array['US','GB','DE','FR','CA','AU','NL','ES'])[1 + n % 8],
      case when enrolled then (${sql.param(seeding.programIds)}::uuid[])[1 + n % ${programCount}] end,
      case when enrolled then case when u_tier < 0.6 then 'bronze' when u_tier < 0.9 then 'silver' else 'gold' end end,
      parent_id,
      case when u_manager < 0.9 then (${sql.param(seeding.managerIds)}::uuid[])[1 + n % ${seeding.managerIds.length}] end,
      case when status not in ('applied') then created + interval '1 day' end,
      case when enrolled then created + interval '2 days' end,
      case when status not in ('applied', 'verified', 'rejected', 'enrolled') then created + interval '3 days' end,
      case when status in ('trained', 'active', 'suspended', 'terminated') then created + interval '4 days' end,
      case when status in ('active', 'suspended', 'terminated') then least(created + interval '5 days', ${instant(seeding.to)} - interval '1 hour') end,
      -- What partnerRecords' acceptances will hold (the trigger keeping it is off while seeding).
      case when enrolled then case when u_agreement < ${CURRENT_AGREEMENT_SHARE} then ${current.version}::int else ${previous.version}::int end end,
      -- The approved W-9 partnerRecords' documents will hold (its trigger is off too): issued on enrollment.
      case when enrolled and n % ${programCount} = 0 and u_document < ${W9_SHARES.valid + W9_SHARES.expired}
          and w9_expires > ((created + interval '2 days') at time zone 'UTC')::date
        then jsonb_build_object('w9', w9_expires) else '{}' end,
      created, created
    from (
      select *, status not in ('applied', 'verified', 'rejected') as enrolled
      from (
        select n, ${partnerId(tag, sql`n`)} as id, u_tier, u_manager, u_agreement, created, u_document,
          (${instant(seeding.to)} at time zone 'UTC')::date + case when u_document < ${W9_SHARES.expired} then ${W9_EXPIRES_IN_DAYS.expired}::int else ${W9_EXPIRES_IN_DAYS.valid}::int end
            as w9_expires,
          case
            when u_status < 0.05 then 'applied' when u_status < 0.08 then 'verified' when u_status < 0.10 then 'enrolled'
            when u_status < 0.12 then 'setup_complete' when u_status < 0.14 then 'trained' when u_status < 0.82 then 'active'
            when u_status < 0.87 then 'suspended' when u_status < 0.92 then 'rejected' else 'terminated'
          end as status,
          case
            when n < ${b1} or u_parent >= 0.5 then null
            when n < ${b2} then ${parentIn(0, b1)}
            when n < ${b3} then ${parentIn(b1, b2)}
            else ${parentIn(b2, b3)}
          end as parent_id
        from (
          select n, random() as u_status, random() as u_tier, random() as u_manager, random() as u_parent, random() as u_link,
            random() as u_agreement, random() as u_document,
            ${instant(start)} + make_interval(secs => (n + random()) / ${count} * ${span / 1000}) as created
          from generate_series(${first}::int, ${last}::int) n
        ) drawn
      ) shaped
    ) partner`);
}

/**
 * Everything else about the partners, set-based: the closure table from parent_id, enrollments, agreement
 * acceptances (85% on the current version), W-9s for the program that requires them (80% valid, 7% expired, 5%
 * awaiting review), customer accounts each referred by a partner (10% of the links ended), three program updates
 * per program (70% acknowledged the latest).
 */
function partnerRecords(seeding: Seeding, earners: SQL): SQL[] {
  const { tag } = seeding;
  const ours = ofSeed(seeding, 'p');
  const [previous, current] = seeding.agreementVersions;
  // The hierarchy has four generations (insertPartners), so a partner has at most three ancestors: the closure is a
  // chain of three joins up parent_id, no recursion.
  const closure = sql`
    insert into partner_tree (ancestor_id, descendant_id, depth)
    select up.ancestor_id, p.id, up.depth
    from partners p
    left join partners p1 on p1.id = p.parent_id
    left join partners p2 on p2.id = p1.parent_id
    cross join lateral (values (p.id, 0), (p.parent_id, 1), (p1.parent_id, 2), (p2.parent_id, 3)) up(ancestor_id, depth)
    where up.ancestor_id is not null and ${ours}`;
  const enrollments = sql`
    insert into enrollments (partner_id, program_id, tier, agreement_version_id, enrolled_by, created_at)
    select p.id, p.program_id, p.tier, ${previous.id}, 'bench-seed', p.enrolled_at
    from partners p where p.program_id is not null and ${ours}`;
  const acceptances = sql`
    insert into agreement_acceptances (partner_id, agreement_version_id, accepted_at, recorded_by, created_at)
    select p.id, v.id, p.enrolled_at, 'bench-seed', p.enrolled_at
    from partners p
    cross join lateral (
      select ${previous.id}::uuid as id union all select ${current.id}::uuid where p.accepted_agreement_version = ${current.version}
    ) v
    where p.enrolled_at is not null and ${ours}`;
  const documents = sql`
    insert into compliance_documents (partner_id, kind, reference, checksum, issued_on, expires_on, status, reviewed_by,
      reviewed_at, submitted_by, created_at)
    select id, 'w9', 'bench/' || id, encode(sha256(convert_to(id::text, 'UTF8')), 'hex'), issued, expires, status,
      case when status <> 'pending' then 'bench-seed' end, case when status <> 'pending' then submitted end, 'bench-seed', submitted
    from (
      select p.id, p.enrolled_at as submitted, (p.enrolled_at at time zone 'UTC')::date as issued,
        coalesce((p.documents_valid_until ->> 'w9')::date, (${instant(seeding.to)} at time zone 'UTC')::date + ${W9_EXPIRES_IN_DAYS.valid}::int) as expires,
        case when p.documents_valid_until ->> 'w9' is not null then 'approved' else 'pending' end as status, random() as u
      from partners p
      where ${ours} and p.program_id = ${seeding.programIds[0]}::uuid and p.enrolled_at is not null
    ) documents
    -- Partners without an approved W-9 (insertPartners drew it): some have one awaiting review.
    where status = 'approved' or u < ${W9_SHARES.pending / (1 - W9_SHARES.valid - W9_SHARES.expired)}`;
  const recipients = sql`
    with updates as (
      insert into program_updates (program_id, title, body, requires_acknowledgment, published_by, published_at)
      select pr.id, 'Bench update ' || k, 'What changed.', true, 'bench-seed', ${instant(seeding.to)} - make_interval(days => 100 * k)
      from unnest(${sql.param(seeding.programIds)}::uuid[]) pr(id) cross join generate_series(1, 3) k
      returning id, program_id, published_at
    )
    insert into program_update_recipients (update_id, partner_id, acknowledged_at, acknowledged_by)
    select u.id, p.id, case when random() < case when u.published_at = latest.at then 0.7 else 0.9 end
      then u.published_at + interval '3 days' end, 'bench-seed'
    from updates u
    cross join lateral (select max(published_at) as at from updates o where o.program_id = u.program_id) latest
    join partners p on p.program_id = u.program_id and p.status = 'active' and p.activated_at < u.published_at
    where ${ours}`;
  const accounts = sql`
    with accounts as (
      insert into accounts (id, name, external_ref)
      select md5(${tag} || '-account-' || k)::uuid, 'Bench Account ' || k, 'bench-' || ${tag} || '-' || k
      from generate_series(1, ${Math.max(1, Math.floor(seeding.partnerCount / 2))}::int) k
      returning id
    )
    insert into partner_accounts (partner_id, account_id, role, created_at, linked_by, ended_at, ended_by)
    select partner_id, id, 'referrer', linked_at, 'bench-seed',
      case when u_end < 0.1 then linked_at + (${instant(seeding.to)} - linked_at) * u_end * 10 end,
      case when u_end < 0.1 then 'bench-seed' end
    from (
      select a.id, e.partner_id, e.active_from + (${instant(seeding.to)} - e.active_from) * a.u_time as linked_at, a.u_end
      from (select id, random() as u_pick, random() as u_time, random() as u_end from accounts) a
      join ${earners} e on e.rank = 1 + least((select count(*) from ${earners}) - 1, floor((select count(*) from ${earners}) * a.u_pick * a.u_pick))::int
    ) links`;
  // Longest first: they run CONCURRENCY at a time.
  return [closure, acceptances, recipients, enrollments, accounts, documents];
}

/**
 * The partners who earn, numbered 1… in a random order: events pick partner k with a skew (the top 1% carry about
 * a fifth of the events). Suspended and terminated partners stop half way between activation and today.
 */
async function createEarners(tx: Executor, seeding: Seeding, earners: SQL): Promise<{ busiestPartnerId: string; busiestProgramId: string }> {
  await tx.execute(sql`
    create unlogged table ${earners} as
    select (row_number() over (order by md5(p.id::text)))::int as rank, p.id as partner_id, p.program_id, p.referral_code,
      pr.currency, p.activated_at as active_from,
      case when p.status = 'active' then ${instant(seeding.to)}
        else p.activated_at + (${instant(seeding.to)} - p.activated_at) / 2 end as active_until
    from partners p join programs pr on pr.id = p.program_id
    where p.status in ('active', 'suspended', 'terminated') and ${ofSeed(seeding, 'p')}`);
  await tx.execute(sql`alter table ${earners} add primary key (rank)`);
  const top = await tx.execute<{ partner_id: string; program_id: string }>(sql`select partner_id, program_id from ${earners} where rank = 1`);
  return { busiestPartnerId: top.rows[0]!.partner_id, busiestProgramId: top.rows[0]!.program_id };
}

interface EventIds {
  first: number;
  last: number;
  count: number;
  /** Null ends when there were none. */
  sales: { first: number | null; last: number | null };
  refunds: { first: number | null; last: number | null };
}

/**
 * Referral events over the year, attributed as ingestion would (2% of the clicks name an unknown code and stay
 * unattributed): clicks, leads and sales in the shares above, and refunds of 15% of the sales (60% in full, the
 * others in part, up to 20 days after the sale). 2% arrive late (1–10 days after they happened). Loaded without
 * foreign-key triggers (consistent by construction).
 */
async function insertEvents(db: Database, seeding: Seeding, earners: SQL, total: number, report: (done: number) => void): Promise<EventIds> {
  const { tag } = seeding;
  const sales = Math.max(1, Math.round(total * SALE_SHARE));
  const leads = Math.max(1, Math.round(total * LEAD_SHARE));
  const refunds = Math.round(sales * REFUND_SHARE_OF_SALES);
  const clicks = total - sales - leads - refunds;
  const earnerCount = (await db.execute<{ count: number }>(sql`select count(*)::int as count from ${earners}`)).rows[0]!.count;
  type Range = { first: number | null; last: number | null; count: number };
  /** Runs an insert, returning the range of ids it wrote. */
  const inserting = async (tx: Executor, insert: SQL): Promise<Range> =>
    (
      await tx.execute<Range>(sql`
        with inserted as (${insert} returning id)
        select min(id)::bigint as first, max(id)::bigint as last, count(*)::int as count from inserted`)
    ).rows[0]!;
  const union = (ranges: Range[]): Range => {
    const written = ranges.filter((range) => range.count > 0);
    return {
      first: written.length === 0 ? null : Math.min(...written.map((range) => range.first!)),
      last: written.length === 0 ? null : Math.max(...written.map((range) => range.last!)),
      count: written.reduce((sum, range) => sum + range.count, 0),
    };
  };

  const kinds: { kind: 'click' | 'lead' | 'sale'; prefix: string; count: number }[] = [
    { kind: 'click', prefix: 'c', count: clicks },
    { kind: 'lead', prefix: 'l', count: leads },
    { kind: 'sale', prefix: 's', count: sales },
  ];
  const slices = kinds.flatMap(({ kind, prefix, count }, index) => {
    const base = kinds.slice(0, index).reduce((sum, other) => sum + other.count, 0);
    const of: { kind: typeof kind; prefix: string; base: number; first: number; last: number }[] = [];
    for (let first = 1; first <= count; first += BATCH_ROWS) of.push({ kind, prefix, base, first, last: Math.min(count, first + BATCH_ROWS - 1) });
    return of;
  });
  let done = 0;
  const written: (Range & { kind: string })[] = [];
  for (const { kind, prefix, base, first, last } of slices) {
    const range = await db.transaction(async (tx) => {
      await bulkWriting(tx);
      await seeding.seeded(tx, first + base);
      return inserting(tx, eventSlice(seeding, earners, earnerCount, kind, prefix, first, last));
    });
    written.push({ kind, ...range });
    done += last - first + 1;
    report(done);
  }
  const saleIds = union(written.filter((range) => range.kind === 'sale'));
  const refundIds = await db.transaction(async (tx) => {
    await bulkWriting(tx);
    await seeding.seeded(tx, -2);
    return inserting(tx, sql`
      insert into referral_events (external_id, kind, amount, currency, occurred_at, refund_of_external_id, refund_of_id,
        account_id, partner_id, program_id, program_version, attribution_status, attribution_method, created_at)
      select ${tag} || '-r-' || s.id, 'refund',
        case when s.u_full < 0.6 then s.amount else greatest(1, floor(s.amount * s.u_part))::bigint end, s.currency,
        s.refunded_at, s.external_id, s.id, s.account_id, s.partner_id, s.program_id, s.program_version, 'attributed',
        'refund_of', least(s.refunded_at + interval '5 minutes', ${instant(seeding.now)})
      from (
        select s.*, random() as u_pick, random() as u_full, random() as u_part,
          s.occurred_at + random() * least(interval '20 days', ${instant(seeding.to)} - s.occurred_at) as refunded_at
        from referral_events s
        where s.id between ${saleIds.first} and ${saleIds.last} and s.kind = 'sale' and s.partner_id is not null
      ) s
      where s.u_pick < ${REFUND_SHARE_OF_SALES}`);
  });
  report(total);
  const all = union([...written, refundIds]);
  return { first: all.first!, last: all.last!, count: all.count, sales: saleIds, refunds: refundIds };
}

function eventSlice(seeding: Seeding, earners: SQL, earnerCount: number, kind: 'click' | 'lead' | 'sale', prefix: string, first: number, last: number): SQL {
  const { tag } = seeding;
  const money = kind === 'sale';
  const attributed = (value: SQL) => sql`case when not unattributed then ${value} end`;
  return sql`
    insert into referral_events (external_id, kind, partner_ref, declared_partner_id, amount, currency, occurred_at,
      visitor_key, partner_id, program_id, program_version, attribution_status, attribution_method, attribution_reason, created_at)
    select ${tag} || '-' || ${prefix} || '-' || n, ${kind},
      case when unattributed then 'UNKNOWN-' || n else referral_code end, ${attributed(sql`partner_id`)},
      ${money ? sql`1000 + floor(power(u_amount, 2) * 99000)::bigint` : sql`null::bigint`}, ${money ? sql`currency` : sql`null`},
      occurred_at, 'v:' || ${tag} || '-' || (n % 500000),
      ${attributed(sql`partner_id`)}, ${attributed(sql`program_id`)}, ${attributed(sql`1`)},
      case when unattributed then 'unattributed' else 'attributed' end,
      ${attributed(sql`${kind === 'click' ? 'referral_link' : 'declared'}`)},
      case when unattributed then 'unknown_referral_code' end,
      least(${instant(seeding.now)}, occurred_at + case when u_late < 0.02 then make_interval(days => 1 + floor(u_delay * 10)::int)
        else make_interval(secs => u_delay * 600) end)
    from (
      select g.*, e.partner_id, e.referral_code, e.program_id, e.currency,
        e.active_from + g.u_time * (e.active_until - e.active_from) as occurred_at,
        ${kind === 'click' ? sql`g.u_unattributed < 0.02` : sql`false`} as unattributed
      from (
        select n, random() as u_pick, random() as u_time, random() as u_amount, random() as u_late, random() as u_delay,
          random() as u_unattributed
        from generate_series(${first}::int, ${last}::int) n
      ) g
      join ${earners} e on e.rank = 1 + least(${earnerCount - 1}, floor(${earnerCount} * power(g.u_pick, 3)))::int
    ) drawn`;
}

/**
 * The ledger, written by the commissions area's own functions (accrual at the version in force, overrides up the
 * tree, proportional reversals of refunds), so it is what ingestion would have written; then fraud flags on 1.5%
 * of the earning partners, the approval job at `now` and payouts of what was approved 45 days ago and more.
 * All of it is written without the ledger's triggers: the commission rollup (migrations 0015/0021) is folded from
 * the finished ledger in one statement instead, as the insert trigger folds each statement's rows, and the
 * append-only guard has nothing to refuse (the payouts only move approved entries to paid).
 */
type Progress = (stage: string, total: number) => (done: number) => void;

/** Sales (or refunds) per accrual (or reversal) call: large, so the per-statement work is paid a few times only. */
const LEDGER_SLICE = 250_000;

async function insertCommissions(db: Database, seeding: Seeding, earners: SQL, ids: EventIds, progress: Progress) {
  const { tag } = seeding;
  const before = (await db.execute<{ last: number }>(sql`select coalesce(max(id), 0)::bigint as last from commissions`)).rows[0]!.last;
  /** Writes, slice by slice of ids, for the attributed events of `kind` in `range`. */
  const stepIds = async (
    range: { first: number | null; last: number | null },
    kind: 'sale' | 'refund',
    stage: string,
    write: (tx: Executor, ids: number[]) => Promise<unknown>,
  ) => {
    if (range.first === null || range.last === null) return;
    await inSlices(range.first, range.last, LEDGER_SLICE, progress(stage, range.last - range.first + 1), (first, last) =>
      db.transaction(async (tx) => {
        await bulkWriting(tx);
        const rows = await tx.execute<{ id: number }>(sql`
          select id from referral_events where id between ${first} and ${last} and kind = ${kind} and attribution_status = 'attributed'`);
        await write(tx, rows.rows.map((row) => row.id));
      }),
    );
  };
  // Kept while loading: the ON CONFLICT targets of the accrual and the reversal, and the reversal's lookups.
  const kept = ['commissions_one_credit_per_level', 'commissions_one_refund_reversal', 'commissions_event_idx', 'commissions_reverses_idx'];
  await loadDeferringIndexes(
    db,
    ['commissions'],
    progress,
    async () => {
      await stepIds(ids.sales, 'sale', 'commissions', (tx, saleIds) => accrueCommissions(tx, SEED_ACTOR, saleIds));
      await stepIds(ids.refunds, 'refund', 'reversals', (tx, refundIds) => reverseForRefunds(tx, SEED_ACTOR, refundIds));
      const report = progress('approvals and payouts', 3);
      report(0);
      await db.transaction(async (tx) => {
        await seeding.seeded(tx, -3);
        await tx.execute(sql`
          insert into fraud_flags (partner_id, program_id, rule, status, dedupe_key, evidence, created_at, reviewed_by, reviewed_at, review_note)
          select partner_id, program_id, (array['click_velocity','lead_ip_velocity','fast_conversion','refund_rate'])[1 + rank % 4],
            status, 'bench:' || ${tag} || ':' || rank, '{"generated": true}'::jsonb, created,
            case when status <> 'open' then 'bench-seed' end, case when status <> 'open' then created + interval '2 days' end,
            case when status <> 'open' then 'generated' end
          from (
            select e.*, case when u < 0.15 then 'open' when u < 0.4 then 'confirmed' else 'dismissed' end as status,
              ${instant(seeding.from)} + random() * (${instant(seeding.to)} - ${instant(seeding.from)} - interval '3 days') as created
            from (select e.*, random() as u, random() as pick from ${earners} e) e
            where pick < 0.015
          ) flagged`);
      });
      await db.transaction(async (tx) => {
        await bulkWriting(tx);
        await approveDueIn(tx, seeding.now);
      });
      report(1);
      await db.transaction(async (tx) => {
        await bulkWriting(tx);
        await tx.execute(sql`
          with paid as (
            update commissions c set status = 'paid', status_changed_at = ${instant(seeding.now)},
              payout_id = md5(${tag} || c.partner_id || c.currency)::uuid
            where c.status = 'approved' and c.kind in ('earning', 'override') and c.hold_until < ${instant(seeding.now)} - interval '45 days'
              and c.id > ${before}
            returning c.partner_id, c.currency, c.payout_id, c.amount
          )
          insert into commissions (partner_id, kind, status, amount, currency, payout_id, reason, created_by)
          select partner_id, 'payout', 'paid', -sum(amount), currency, payout_id, 'payout', 'bench-seed'
          from paid group by partner_id, currency, payout_id having sum(amount) > 0`);
      });
      report(2);
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local work_mem = '256MB'`);
        await tx.execute(sql`
          insert into analytics_commission_days as t (partner_id, day, currency, kind, level, status, amount, entries)
          select c.partner_id, (coalesce(e.occurred_at, c.created_at) at time zone 'UTC')::date, c.currency, c.kind, c.level,
            c.status, sum(c.amount), count(*)
          from commissions c
          left join referral_events e on e.id = coalesce(c.refund_event_id, c.event_id)
          where c.id > ${before} and c.kind in ('earning', 'override', 'reversal')
          group by 1, 2, 3, 4, 5, 6
          order by 1, 2, 3, 4, 5, 6
          on conflict (partner_id, day, currency, kind, level, status)
          do update set amount = t.amount + excluded.amount, entries = t.entries + excluded.entries`);
      });
      report(3);
    },
    kept,
  );
  const count = await db.execute<{ count: number }>(sql`select count(*)::int as count from commissions where id > ${before}`);
  return count.rows[0]!.count;
}

function parseArguments(argv: string[]): { partners: number; events: number; seed?: number } {
  const values = new Map<string, number>();
  for (let index = 0; index < argv.length; index++) {
    const match = /^--(partners|events|seed)(?:=(.*))?$/.exec(argv[index]!);
    if (!match) throw new Error(`unknown argument ${argv[index]}; usage: --partners N --events M [--seed S]`);
    const raw = match[2] ?? argv[++index];
    const value = Number(raw?.replaceAll('_', ''));
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${match[1]} takes a whole number, not ${raw}`);
    values.set(match[1]!, value);
  }
  const partners = values.get('partners') ?? 10_000;
  const events = values.get('events') ?? 200_000;
  return { partners, events, seed: values.get('seed') };
}

/** One progress bar per stage on stderr, redrawn in place. */
function progressBar(): (progress: BenchProgress) => void {
  let current = '';
  const started = Date.now();
  return ({ stage, done, total }) => {
    if (stage !== current && current !== '') process.stderr.write('\n');
    current = stage;
    const share = total === 0 ? 1 : Math.min(1, done / total);
    const width = 30;
    const filled = Math.round(share * width);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${stage} ` +
        `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${seconds} s)`,
    );
  };
}

async function main() {
  const args = parseArguments(process.argv.slice(2));
  const config = loadConfig();
  const embedded = config.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: resolve(config.DATA_DIR, 'pg') });
  const connection = connectDatabase(config.DATABASE_URL ?? embedded!.url, { max: 4 });
  try {
    await runMigrations(connection.db);
    const started = Date.now();
    const seed = await seedBenchData(connection.db, { ...args, onProgress: progressBar() });
    process.stderr.write('\n');
    console.log(JSON.stringify({ ...seed, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
  } finally {
    await connection.close();
    await embedded?.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.message}${error.cause ? `\n${String(error.cause)}` : ''}` : error);
    process.exit(1);
  });
}
