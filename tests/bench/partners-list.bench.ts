import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { defineAbilityFor, type AppAbility } from '../../server/auth/abilities.js';
import { listPartners, listPartnersQueries } from '../../server/domain/partners/list.js';
import { listPartnersInput } from '../../server/domain/partners/schemas.js';
import { bulkLoad } from './lib/bulk-load.js';
import { median, timeMs } from './lib/load.js';
import { createScratchDatabase } from './lib/scratch-database.js';
import { createBenchManager } from './lib/seed.js';

/**
 * partners.list on 1,000,000 partners: substring search (pg_trgm GIN indexes) and plain pages, the domain function
 * against the very SQL it sends run with pg, and the search against the same statements with bitmap scans (the only
 * way a GIN index is read) switched off.
 */

const PARTNERS = 1_000_000;
const WARMUP = 5;
const ROUNDS = 30;
/** The search without its indexes takes seconds a round; its speed-up is in the hundreds, so fewer rounds tell it. */
const SLOW_WARMUP = 0;
const SLOW_ROUNDS = 3;
const FIRST = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'donald', 'frances', 'ken', 'margaret', 'dennis', 'radia', 'tim'];
const LAST = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'knuth', 'allen', 'thompson', 'hamilton', 'ritchie', 'perlman', 'berners'];
const TRIGRAM_INDEXES = ['partners_name_trgm_idx', 'partners_email_trgm_idx', 'partners_company_trgm_idx'];

/** Rows first, then the trigram indexes built once. */
async function seed(db: Database, managerId: string): Promise<number> {
  const started = performance.now();
  const first = sql.raw(`(array[${FIRST.map((name) => `'${name}'`).join(',')}])`);
  const last = sql.raw(`(array[${LAST.map((name) => `'${name}'`).join(',')}])`);
  const load = (tx: Executor) =>
    tx.execute(sql`
      insert into partners (referral_code, name, email, phone, company, country, status, manager_id, created_at)
      select 'BL' || n,
        initcap(${first}[1 + n % ${FIRST.length}]) || ' ' || initcap(${last}[1 + (n / ${FIRST.length}) % ${LAST.length}]) || ' ' || n,
        ${first}[1 + n % ${FIRST.length}] || '.' || ${last}[1 + (n / ${FIRST.length}) % ${LAST.length}] || '.' || n || '@example.com',
        '+1 555 ' || lpad((n % 10000)::text, 4, '0'),
        'Company ' || md5(n::text),
        'US',
        (array['applied','verified','enrolled','active','active','active','suspended','terminated'])[1 + n % 8],
        case when n % 20 = 0 then ${managerId}::uuid end,
        timestamptz '2020-01-01' + n * interval '90 seconds'
      from generate_series(1, ${PARTNERS}) n`);
  await bulkLoad(db, ['partners'], load, { indexes: TRIGRAM_INDEXES });
  return (performance.now() - started) / 1000;
}

/** Medians of runs taken in turns; `slow` ones sit out the rounds past their smaller counts. */
async function medians(runs: Record<string, () => Promise<unknown>>, slow: string[] = []): Promise<Record<string, number>> {
  const names = Object.keys(runs);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const taking = (round: number, fast: number, few: number) => names.filter((name) => round < (slow.includes(name) ? few : fast));
  for (let i = 0; i < WARMUP; i++) for (const name of taking(i, WARMUP, SLOW_WARMUP)) await runs[name]!();
  for (let i = 0; i < ROUNDS; i++) for (const name of taking(i, ROUNDS, SLOW_ROUNDS)) times[name]!.push(await timeMs(runs[name]!));
  return Object.fromEntries(names.map((name) => [name, median(times[name]!)]));
}

interface Scenario {
  label: string;
  ability: AppAbility;
  input: Record<string, unknown>;
  /** Also time the statements with bitmap scans off: what the search costs without its trigram indexes. */
  withoutTrigram?: boolean;
}

export async function run() {
  const scratch = await createScratchDatabase({ poolSize: 4 });
  try {
    const managerId = await createBenchManager(scratch.db, 'bench-list-manager@example.com');
    const seedSeconds = await seed(scratch.db, managerId);
    const admin = defineAbilityFor({ userId: 'bench-admin', roles: ['affiliate_admin'] });
    const partnerManager = defineAbilityFor({ userId: managerId, roles: ['partner_manager'] });
    const scenarios: Scenario[] = [
      { label: 'search of a rare term (1 match)', ability: admin, input: { search: '.777777@' }, withoutTrigram: true },
      { label: 'search of a common surname (~8% of rows)', ability: admin, input: { search: 'lovelace' }, withoutTrigram: true },
      // Partner 12340 is "Barbara Hamilton 12340", managed by the bench manager (every 20th partner is).
      { label: 'search as a partner manager (names searchable on own rows only)', ability: partnerManager, input: { search: 'hamilton 12340' }, withoutTrigram: true },
      { label: 'first page, status filter, newest first', ability: admin, input: { status: ['suspended'] } },
      { label: 'first page sorted by name', ability: admin, input: { sort: { field: 'name', direction: 'asc' } } },
    ];
    const rows = [];
    for (const scenario of scenarios) {
      const input = listPartnersInput.parse({ ...scenario.input, limit: 50 });
      const statements = Object.values(listPartnersQueries(scratch.db, scenario.ability, input)).map((query) => query.toSQL());
      const raw = () => Promise.all(statements.map((statement) => scratch.pool.query(statement.sql, statement.params)));
      const withoutTrigram = async () => {
        const client = await scratch.pool.connect();
        try {
          await client.query('begin');
          await client.query('set local enable_bitmapscan = off');
          for (const statement of statements) await client.query(statement.sql, statement.params);
          await client.query('rollback');
        } finally {
          client.release();
        }
      };
      const page = await listPartners(scratch.db, scenario.ability, input);
      const timed = await medians({
        domain: () => listPartners(scratch.db, scenario.ability, input),
        raw,
        ...(scenario.withoutTrigram ? { withoutTrigram } : {}),
      }, ['withoutTrigram']);
      const [domainMs, rawMs] = [timed.domain!, timed.raw!];
      rows.push({
        scenario: `partners.list on ${PARTNERS.toLocaleString('en')} partners, ${scenario.label}: domain vs the same SQL with pg`,
        ratio: rawMs / domainMs,
        sideA: `${domainMs.toFixed(2)} ms median`,
        sideB: `${rawMs.toFixed(2)} ms median`,
        note: `page of ${page.items.length}, total ${page.total.toLocaleString('en')}; median of ${ROUNDS}; seeded in ${seedSeconds.toFixed(0)} s`,
      });
      if (timed.withoutTrigram !== undefined) {
        rows.push({
          scenario: `partners.list on ${PARTNERS.toLocaleString('en')} partners, ${scenario.label}: with the pg_trgm indexes vs without (speed-up)`,
          ratio: timed.withoutTrigram / rawMs,
          sideA: `${rawMs.toFixed(2)} ms median`,
          sideB: `${timed.withoutTrigram.toFixed(2)} ms median`,
          note: `median of ${ROUNDS} with the indexes, ${SLOW_ROUNDS} without`,
        });
      }
    }
    return rows;
  } finally {
    await scratch.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await run()) console.log(`${row.scenario}: ${row.ratio.toFixed(2)}× (${row.sideA} vs ${row.sideB}${row.note ? `; ${row.note}` : ''})`);
}
