import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { defineAbilityFor, type Principal } from '../../server/auth/abilities.js';
import { downline, downlineQueries } from '../../server/domain/hierarchy/chains.js';
import type { DownlineInput } from '../../server/domain/hierarchy/schemas.js';
import { bulkLoad } from './lib/bulk-load.js';
import { median, timeMs } from './lib/load.js';
import { createScratchDatabase } from './lib/scratch-database.js';
import { createBenchManager } from './lib/seed.js';

/**
 * partners.downline on a tree of 100,000 descendants: the domain function (drizzle, ability → SQL, paging) against
 * the very SQL it sends, run with pg directly. Ratio = raw time / domain time, so 1.0 means no overhead.
 */

const LEVEL_SIZES = [50, 950, 99_000];
const WARMUP = 20;
const ROUNDS = 150;

/** The root is node 0; every level's nodes spread evenly over the nodes of the level above. */
async function buildTree(db: Database, managerId: string): Promise<string> {
  const [l1, l2, l3] = LEVEL_SIZES as [number, number, number];
  const id = (n: SQL) => sql`md5('bench-hierarchy-' || ${n})::uuid`;
  await bulkLoad(db, ['partners', 'partner_tree'], async (tx) => {
    await tx.execute(sql`
      insert into partners (id, referral_code, name, email, country, status, manager_id, parent_id)
      select ${id(sql`n`)}, 'BH' || n, 'Bench Partner ' || n, 'bench-hierarchy-' || n || '@example.com', 'US', 'active',
        case when n % 2 = 0 then ${managerId}::uuid end,
        case
          when n = 0 then null
          when n <= ${l1} then ${id(sql`0`)}
          when n <= ${l1 + l2} then ${id(sql`1 + (n - ${l1 + 1}) % ${l1}`)}
          else ${id(sql`${l1 + 1} + (n - ${l1 + l2 + 1}) % ${l2}`)}
        end
      from generate_series(0, ${l1 + l2 + l3}) n`);
    await tx.execute(sql`
      insert into partner_tree (ancestor_id, descendant_id, depth)
      with recursive closure(ancestor_id, descendant_id, depth) as (
        select id, id, 0 from partners
        union all
        select p.parent_id, c.descendant_id, c.depth + 1 from closure c join partners p on p.id = c.ancestor_id
        where p.parent_id is not null
      )
      select ancestor_id, descendant_id, depth from closure`);
  });
  const result = await db.execute<{ id: string }>(sql`select ${id(sql`0`)} as id`);
  return result.rows[0]!.id;
}

export async function run(): Promise<{ scenario: string; ratio: number; note?: string; sideA?: string; sideB?: string }[]> {
  const scratch = await createScratchDatabase({ poolSize: 6 });
  try {
    const managerId = await createBenchManager(scratch.db, 'bench-manager@example.com');
    const started = performance.now();
    const root = await buildTree(scratch.db, managerId);
    const buildSeconds = (performance.now() - started) / 1000;

    const callers: [string, Principal][] = [
      ['affiliate admin', { userId: 'bench-admin', roles: ['affiliate_admin'] }],
      ['partner manager, PII per row', { userId: managerId, roles: ['partner_manager'] }],
    ];
    const rows = [];
    for (const [label, principal] of callers) {
      const ability = defineAbilityFor(principal);
      const input: DownlineInput = { partnerId: root, level: 3, limit: 50 };
      const statements = Object.values(downlineQueries(scratch.db, ability, input)).map((query) => query.toSQL());
      const domainCall = () => downline(scratch.db, ability, input);
      const rawCall = () => Promise.all(statements.map((statement) => scratch.pool.query(statement.sql, statement.params)));

      const check = await domainCall();
      if (check.total !== LEVEL_SIZES.reduce((a, b) => a + b) || check.items.length !== 50) {
        throw new Error(`downline returned ${check.total} descendants and ${check.items.length} items`);
      }
      for (let i = 0; i < WARMUP; i++) {
        await domainCall();
        await rawCall();
      }
      const domainTimes: number[] = [];
      const rawTimes: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        domainTimes.push(await timeMs(domainCall));
        rawTimes.push(await timeMs(rawCall));
      }
      const [domainMs, rawMs] = [median(domainTimes), median(rawTimes)];
      rows.push({
        scenario: `partners.downline, 100k descendants, level 3 page of 50 + counts per level (${label}) vs the same SQL with pg`,
        ratio: rawMs / domainMs,
        sideA: `${domainMs.toFixed(2)} ms median`,
        sideB: `${rawMs.toFixed(2)} ms median`,
        note: `domain ${domainMs.toFixed(2)} ms vs raw ${rawMs.toFixed(2)} ms (median of ${ROUNDS}); tree built in ${buildSeconds.toFixed(1)} s`,
      });
    }
    return rows;
  } finally {
    await scratch.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await run()) console.log(`${row.scenario}: ${row.ratio.toFixed(2)}× (${row.note})`);
}
