import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';

/**
 * Adds a new partner to the closure table: itself at depth 0, plus every ancestor of its parent one level deeper.
 * Call in the transaction that creates the partner.
 */
export async function insertIntoTree(tx: Executor, partnerId: string, parentId: string | null): Promise<void> {
  await tx.execute(sql`
    insert into partner_tree (ancestor_id, descendant_id, depth)
    select ${partnerId}::uuid, ${partnerId}::uuid, 0
    union all
    select ancestor_id, ${partnerId}::uuid, depth + 1 from partner_tree where descendant_id = ${parentId}::uuid`);
}
