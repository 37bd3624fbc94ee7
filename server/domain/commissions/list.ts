import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { commissions } from '../../../db/schema/commissions.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { heldByOpenFlag } from '../fraud/held.js';
import { bigintCursor } from '../shared/keyset.js';
import { withinRange } from '../shared/filters.js';
import { toPage } from '../shared/pagination.js';
import type { ListCommissionsInput } from './schemas.js';

export const commissionColumns = {
  id: commissions.id,
  partnerId: commissions.partnerId,
  kind: commissions.kind,
  status: commissions.status,
  level: commissions.level,
  amount: commissions.amount,
  currency: commissions.currency,
  eventId: commissions.eventId,
  refundEventId: commissions.refundEventId,
  fraudFlagId: commissions.fraudFlagId,
  reversesId: commissions.reversesId,
  programId: commissions.programId,
  programVersion: commissions.programVersion,
  tier: commissions.tier,
  rateType: commissions.rateType,
  rateValue: commissions.rateValue,
  forgoneAmount: commissions.forgoneAmount,
  reason: commissions.reason,
  holdUntil: commissions.holdUntil,
  payoutId: commissions.payoutId,
  createdBy: commissions.createdBy,
  createdAt: commissions.createdAt,
  statusChangedAt: commissions.statusChangedAt,
};

/** Ledger entries, newest first; `onHold` says whether an open fraud flag keeps a pending entry from approval. */
export async function listCommissions(db: Executor, ability: AppAbility, input: ListCommissionsInput) {
  const rows = await db
    .select({
      ...commissionColumns,
      onHold: sql<boolean>`${commissions.status} = 'pending' and ${heldByOpenFlag('commissions')}`,
    })
    .from(commissions)
    .where(
      and(
        accessibleWhere(ability, 'read', 'Commission', { partnerId: commissions.partnerId }),
        input.partnerId ? eq(commissions.partnerId, input.partnerId) : undefined,
        input.kind ? eq(commissions.kind, input.kind) : undefined,
        input.status ? eq(commissions.status, input.status) : undefined,
        input.currency ? eq(commissions.currency, input.currency) : undefined,
        input.eventId ? eq(commissions.eventId, input.eventId) : undefined,
        withinRange(commissions.createdAt, input.created),
        input.cursor ? lt(commissions.id, bigintCursor(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(commissions.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => String(row.id));
}
