import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';

/**
 * Moves take this lock exclusively, inserts share it: two moves that would together form a cycle run one after the
 * other (the second sees the first), and a new partner never copies ancestor links a concurrent move is replacing.
 * Transaction-scoped, so it is released at commit or rollback.
 */
const HIERARCHY_LOCK = sql`hashtextextended('affiliate-ops:partner_tree', 0)`;

export async function lockHierarchyForMove(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${HIERARCHY_LOCK})`);
}

/** The shared side of the lock: taken by inserts, and by whoever must read a depth that stays true until commit. */
export async function lockHierarchyForInsert(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock_shared(${HIERARCHY_LOCK})`);
}

/**
 * Adds a new partner to the closure table: itself at depth 0, plus every ancestor of its parent one level deeper.
 * Call in the transaction that creates the partner.
 */
export async function insertIntoTree(tx: Executor, partnerId: string, parentId: string | null): Promise<void> {
  await lockHierarchyForInsert(tx);
  await tx.execute(sql`
    insert into partner_tree (ancestor_id, descendant_id, depth)
    select ${partnerId}::uuid, ${partnerId}::uuid, 0
    union all
    select ancestor_id, ${partnerId}::uuid, depth + 1 from partner_tree where descendant_id = ${parentId}::uuid`);
}

/** Whether `descendantId` is `ancestorId` itself or anywhere in its downline. */
export async function isInSubtree(tx: Executor, ancestorId: string, descendantId: string): Promise<boolean> {
  const result = await tx.execute<{ found: boolean }>(sql`
    select exists (
      select 1 from partner_tree where ancestor_id = ${ancestorId}::uuid and descendant_id = ${descendantId}::uuid
    ) as found`);
  return result.rows[0]?.found === true;
}

/** Levels above the partner: 0 for a root. */
export async function depthOf(tx: Executor, partnerId: string): Promise<number> {
  const result = await tx.execute<{ depth: number }>(sql`
    select count(*)::int - 1 as depth from partner_tree where descendant_id = ${partnerId}::uuid`);
  return result.rows[0]?.depth ?? -1;
}

export interface SubtreeShape {
  /** Levels above the partner: 0 for a root. */
  depth: number;
  /** Levels below the partner: 0 for a leaf. */
  height: number;
  /** A partner at the bottom of the subtree (the partner itself for a leaf). */
  deepestId: string;
  /** Partners in the subtree, the partner included. */
  size: number;
}

export async function subtreeShape(tx: Executor, partnerId: string): Promise<SubtreeShape> {
  const result = await tx.execute<{ depth: number; height: number; deepest_id: string; size: number }>(sql`
    select
      (select count(*)::int - 1 from partner_tree where descendant_id = ${partnerId}::uuid) as depth,
      deepest.depth as height,
      deepest.descendant_id as deepest_id,
      (select count(*)::int from partner_tree where ancestor_id = ${partnerId}::uuid) as size
    from (
      select depth, descendant_id from partner_tree
      where ancestor_id = ${partnerId}::uuid
      order by depth desc, descendant_id
      limit 1
    ) deepest`);
  const row = result.rows[0];
  if (!row) throw new Error(`partner ${partnerId} has no row in partner_tree`);
  return { depth: row.depth, height: row.height, deepestId: row.deepest_id, size: row.size };
}

/**
 * Re-hangs the subtree of `partnerId` under `newParentId` (null: it becomes a root) in two set-based statements:
 * drop every link from the partner's old ancestors into the subtree, then link each new ancestor to each subtree
 * member. Links inside the subtree stay. The caller holds the move lock and has ruled out cycles.
 */
export async function moveSubtree(tx: Executor, partnerId: string, newParentId: string | null): Promise<void> {
  await tx.execute(sql`
    delete from partner_tree
    where descendant_id in (select descendant_id from partner_tree where ancestor_id = ${partnerId}::uuid)
      and ancestor_id in (select ancestor_id from partner_tree where descendant_id = ${partnerId}::uuid and depth > 0)`);
  if (newParentId === null) return;
  await tx.execute(sql`
    insert into partner_tree (ancestor_id, descendant_id, depth)
    select above.ancestor_id, below.descendant_id, above.depth + below.depth + 1
    from partner_tree above
    cross join partner_tree below
    where above.descendant_id = ${newParentId}::uuid and below.ancestor_id = ${partnerId}::uuid`);
}
