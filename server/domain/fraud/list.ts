import { and, desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { fraudFlags } from '../../../db/schema/fraud.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { afterCursorDesc } from '../shared/keyset.js';
import { uuidCursor } from '../shared/keyset.js';
import { withinRange } from '../shared/filters.js';
import { toPage } from '../shared/pagination.js';
import type { ListFraudFlagsInput } from './schemas.js';

export const fraudFlagColumns = {
  id: fraudFlags.id,
  partnerId: fraudFlags.partnerId,
  programId: fraudFlags.programId,
  rule: fraudFlags.rule,
  status: fraudFlags.status,
  evidence: fraudFlags.evidence,
  eventIds: sql<number[]>`coalesce((
    select array_agg(fe.event_id order by fe.event_id) from fraud_flag_events fe where fe.flag_id = ${fraudFlags.id}), '{}')`,
  createdAt: fraudFlags.createdAt,
  reviewedBy: fraudFlags.reviewedBy,
  reviewedAt: fraudFlags.reviewedAt,
  reviewNote: fraudFlags.reviewNote,
};

/** Flags newest first, with their evidence and the events they hold. */
export async function listFraudFlags(db: Executor, ability: AppAbility, input: ListFraudFlagsInput) {
  const rows = await db
    .select(fraudFlagColumns)
    .from(fraudFlags)
    .where(
      and(
        accessibleWhere(ability, 'read', 'FraudFlag', { partnerId: fraudFlags.partnerId }),
        input.partnerId ? eq(fraudFlags.partnerId, input.partnerId) : undefined,
        input.rule ? eq(fraudFlags.rule, input.rule) : undefined,
        input.status ? eq(fraudFlags.status, input.status) : undefined,
        withinRange(fraudFlags.createdAt, input.created),
        input.cursor ? afterCursorDesc(fraudFlags, fraudFlags.createdAt, fraudFlags.id, uuidCursor(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(fraudFlags.createdAt), desc(fraudFlags.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}
