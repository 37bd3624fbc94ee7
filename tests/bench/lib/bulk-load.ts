import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';

/**
 * Loads rows into `tables` of a scratch database the way bulk loads do: without foreign-key triggers (the rows are
 * consistent by construction), and with indexes dropped first and built once afterwards rather than row by row —
 * the named `indexes`, or else every index of the tables that backs no constraint. Then `vacuum analyze` gives the
 * steady state autovacuum keeps: statistics, and a visibility map that makes counting an index-only scan.
 */
export async function bulkLoad(
  db: Database,
  tables: string[],
  load: (tx: Executor) => Promise<unknown>,
  options: { indexes?: string[] } = {},
): Promise<void> {
  const rebuilt = options.indexes
    ? sql`i.indexrelid::regclass::text in (${sql.join(options.indexes.map((name) => sql`${name}`), sql`, `)})`
    : sql`i.indrelid in (${sql.join(tables.map((table) => sql`${table}::regclass`), sql`, `)})
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    const indexes = await tx.execute<{ name: string; definition: string }>(sql`
      select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i
      where ${rebuilt}`);
    if (options.indexes && indexes.rows.length !== options.indexes.length) {
      throw new Error(`bulk load: of the indexes ${options.indexes.join(', ')} only ${indexes.rows.length} exist`);
    }
    for (const index of indexes.rows) await tx.execute(sql.raw(`drop index ${index.name}`));
    await load(tx);
    for (const index of indexes.rows) await tx.execute(sql.raw(index.definition));
  });
  await db.execute(sql.raw(`vacuum analyze ${tables.join(', ')}`));
}
