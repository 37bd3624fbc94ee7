import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { activity } from '../../../db/schema/activity.js';
import type { Executor } from '../../../db/client.js';
import { withinRange } from '../shared/filters.js';
import { checkCursor, dateRange, pageInput, toPage } from '../shared/pagination.js';

export const listActivityInput = pageInput.extend({
  entityType: z.string().min(1).max(100).optional(),
  entityId: z.string().min(1).max(200).optional(),
  actorId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  at: dateRange.optional(),
});
export type ListActivityInput = z.infer<typeof listActivityInput>;

/** Newest first; the cursor is the last row's id. */
export async function listActivity(db: Executor, input: ListActivityInput) {
  const filters: (SQL | undefined)[] = [
    input.entityType ? eq(activity.entityType, input.entityType) : undefined,
    input.entityId ? eq(activity.entityId, input.entityId) : undefined,
    input.actorId ? eq(activity.actorId, input.actorId) : undefined,
    input.action ? eq(activity.action, input.action) : undefined,
    withinRange(activity.at, input.at),
    input.cursor ? lt(activity.id, cursorId(input.cursor)) : undefined,
  ];
  const rows = await db
    .select()
    .from(activity)
    .where(and(...filters))
    .orderBy(desc(activity.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => String(row.id));
}

function cursorId(cursor: string): number {
  return checkCursor(cursor, (c) => {
    const id = Number(c);
    return /^\d+$/.test(c) && Number.isSafeInteger(id) ? id : undefined;
  });
}
