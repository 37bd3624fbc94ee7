import { activity } from '../../../db/schema/activity.js';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';

export interface ActivityEntry {
  action: string;
  entityType: string;
  entityId: string | number;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Keeps only the fields whose value changed, so the audit trail shows what a mutation did. */
export function changedFields(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): { before: Record<string, unknown> | null; after: Record<string, unknown> | null } {
  if (!before || !after) return { before: before ?? null, after: after ?? null };
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changedBefore: Record<string, unknown> = {};
  const changedAfter: Record<string, unknown> = {};
  for (const key of keys) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    changedBefore[key] = before[key] ?? null;
    changedAfter[key] = after[key] ?? null;
  }
  return { before: changedBefore, after: changedAfter };
}

/**
 * The one audit writer. Call it with the mutation's own transaction: if this insert fails, the mutation rolls
 * back with it.
 */
export async function recordActivity(tx: Executor, actor: Actor, entries: ActivityEntry | ActivityEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await tx.insert(activity).values(
    list.map((entry) => {
      const { before, after } = changedFields(entry.before, entry.after);
      return {
        actorId: actor.userId,
        actorRoles: actor.roles,
        action: entry.action,
        entityType: entry.entityType,
        entityId: String(entry.entityId),
        before,
        after,
        requestId: actor.requestId,
      };
    }),
  );
}
