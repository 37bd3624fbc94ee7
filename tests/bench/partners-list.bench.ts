import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { defineAbilityFor, type AppAbility } from '../../server/auth/abilities.js';
import { listPartners, listPartnersQueries } from '../../server/domain/partners/list.js';
import { listPartnersInput } from '../../server/domain/partners/schemas.js';
import { median } from './lib/load.js';
import { createScratchDatabase } from './lib/scratch-database.js';

/**
 * partners.list on 1,000,000 partners: substring search (pg_trgm GIN indexes) and plain pages, the domain function
 * against the very SQL it sends run with pg, and the search against the same statements with bitmap scans (the only
 * way a GIN index is read) switched off.
 */

const PARTNERS = 1_000_000;
const WARMUP = 5;
const ROUNDS = 30;
const FIRST = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'donald', 'frances', 'ken', 'margaret', 'dennis', 'radia', 'tim'];
const LAST = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'knuth', 'allen', 'thompson', 'hamilton', 'ritchie', 'perlman', 'berners'];
const TRIGRAM_INDEXES = ['partners_name_trgm_idx', 'partners_email_trgm_idx', 'partners_company_trgm_idx'];

/** Rows first, then the trigram indexes built once, as a bulk load does; foreign-key triggers off (rows are consistent). */
async function seed(db: Database, managerId: string): Promise<number> {
  const started = performance.now();
  const definitions = await db.execute<{ definition: string }>(
    sql`select pg_get_indexdef(indexrelid) as definition from pg_index where indexrelid::regclass::text in (${sql.join(TRIGRAM_INDEXES.map((name) => sql`${name}`), sql`, `)})`,
  );
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    for (const name of TRIGRAM_INDEXES) await tx.execute(sql.raw(`drop index ${name}`));
    const first = sql.raw(`(array[${FIRST.map((name) => `'${name}'`).join(',')}])`);
    const last = sql.raw(`(array[${LAST.map((name) => `'${name}'`).join(',')}])`);
    await tx.execute(sql`
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
    for (const { definition } of definitions.rows) await tx.execute(sql.raw(definition));
  });
  await db.execute(sql`vacuum analyze partners`);
  return (performance.now() - started) / 1000;
}

async function timeMs(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function medians(runs: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const names = Object.keys(runs);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < WARMUP; i++) for (const name of names) await runs[name]!();
  for (let i = 0; i < ROUNDS; i++) for (const name of names) times[name]!.push(await timeMs(runs[name]!));
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
    const [manager] = (
      await scratch.db.execute<{ id: string }>(
        sql`insert into users (email, name, roles) values ('bench-list-manager@example.com', 'Bench Manager', '{partner_manager}') returning id`,
      )
    ).rows;
    const seedSeconds = await seed(scratch.db, manager!.id);
    const admin = defineAbilityFor({ userId: 'bench-admin', roles: ['affiliate_admin'] });
    const partnerManager = defineAbilityFor({ userId: manager!.id, roles: ['partner_manager'] });
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
      });
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
