import { and, desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { referralEvents } from '../../../db/schema/referrals.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { withinRange } from '../shared/filters.js';
import { toPage } from '../shared/pagination.js';
import { afterCursorDesc, bigintCursor } from '../shared/keyset.js';
import type { ListReferralsInput } from './schemas.js';

/**
 * Events newest first. The visitor's IP and user agent are personal data: only callers who may read PII of
 * referrals see them.
 */
export async function listReferrals(db: Executor, ability: AppAbility, input: ListReferralsInput) {
  const pii = ability.can('read_pii', 'Referral');
  const rows = await db
    .select({
      id: referralEvents.id,
      externalId: referralEvents.externalId,
      kind: referralEvents.kind,
      partnerId: referralEvents.partnerId,
      partnerRef: referralEvents.partnerRef,
      accountId: referralEvents.accountId,
      amount: referralEvents.amount,
      currency: referralEvents.currency,
      occurredAt: referralEvents.occurredAt,
      programId: referralEvents.programId,
      programVersion: referralEvents.programVersion,
      attributionStatus: referralEvents.attributionStatus,
      attributionMethod: referralEvents.attributionMethod,
      attributionReason: referralEvents.attributionReason,
      attributedClickId: referralEvents.attributedClickId,
      refundOfId: referralEvents.refundOfId,
      ip: pii ? sql<string | null>`host(${referralEvents.ip})` : sql<string | null>`null`,
      userAgent: pii ? referralEvents.userAgent : sql<string | null>`null`,
      ingestedAt: referralEvents.ingestedAt,
    })
    .from(referralEvents)
    .where(
      and(
        accessibleWhere(ability, 'read', 'Referral', { partnerId: referralEvents.partnerId }),
        input.partnerId ? eq(referralEvents.partnerId, input.partnerId) : undefined,
        input.kind ? eq(referralEvents.kind, input.kind) : undefined,
        input.attributionStatus ? eq(referralEvents.attributionStatus, input.attributionStatus) : undefined,
        withinRange(referralEvents.occurredAt, input.occurred),
        input.cursor
          ? afterCursorDesc(referralEvents, referralEvents.occurredAt, referralEvents.id, bigintCursor(input.cursor))
          : undefined,
      ),
    )
    .orderBy(desc(referralEvents.occurredAt), desc(referralEvents.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => String(row.id));
}
