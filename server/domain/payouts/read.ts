import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { payoutBatches, payoutBatchSkips, payoutItems, payouts, type PayoutSkipReason } from '../../../db/schema/payouts.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { notFound } from '../../errors.js';
import { afterCursorRow } from '../shared/keyset.js';
import { toPage } from '../shared/pagination.js';
import type { ListBatchesInput } from './schemas.js';

/** No rule narrows payouts by row today (admins and compliance officers see all); a new condition must map here. */
const PAYOUT_ABILITY_COLUMNS = {};

const batchColumns = {
  id: payoutBatches.id,
  status: payoutBatches.status,
  filters: payoutBatches.filters,
  note: payoutBatches.note,
  createdBy: payoutBatches.createdBy,
  createdAt: payoutBatches.createdAt,
  approvedBy: payoutBatches.approvedBy,
  approvedAt: payoutBatches.approvedAt,
  submittedBy: payoutBatches.submittedBy,
  submittedAt: payoutBatches.submittedAt,
  completedAt: payoutBatches.completedAt,
  cancelledBy: payoutBatches.cancelledBy,
  cancelledAt: payoutBatches.cancelledAt,
  cancelReason: payoutBatches.cancelReason,
};

const payoutColumns = {
  id: payouts.id,
  batchId: payouts.batchId,
  partnerId: payouts.partnerId,
  currency: payouts.currency,
  amount: payouts.amount,
  status: payouts.status,
  attempts: payouts.attempts,
  lastAttemptAt: payouts.lastAttemptAt,
  processorPaymentId: payouts.processorPaymentId,
  processorBatchId: payouts.processorBatchId,
  failureCode: payouts.failureCode,
  failureMessage: payouts.failureMessage,
  paidAt: payouts.paidAt,
  cancelledAt: payouts.cancelledAt,
  cancelReason: payouts.cancelReason,
};

export interface BatchTotal {
  currency: string;
  payouts: number;
  amount: number;
  paid: number;
}

/**
 * Per currency: live payouts (not cancelled), what they pay and what is paid so far. The correlation spells out
 * payout_batches.id because drizzle writes the columns of a single-table select unqualified.
 */
const totals = sql<BatchTotal[]>`coalesce((
  select json_agg(t order by t.currency) from (
    select p.currency, count(*)::int as payouts, sum(p.amount)::bigint as amount,
      coalesce(sum(p.amount) filter (where p.status = 'paid'), 0)::bigint as paid
    from payouts p where p.batch_id = payout_batches.id and p.status <> 'cancelled'
    group by p.currency) t), '[]'::json)`;

const statusCounts = sql<Record<string, number>>`coalesce((
  select json_object_agg(s.status, s.count) from (
    select p.status, count(*)::int as count from payouts p where p.batch_id = payout_batches.id group by p.status) s), '{}'::json)`;

/** Batches, newest first, with their totals per currency and payout counts per status. */
export async function listPayoutBatches(db: Executor, ability: AppAbility, input: ListBatchesInput) {
  const rows = await db
    .select({ ...batchColumns, totals, statusCounts })
    .from(payoutBatches)
    .where(
      and(
        accessibleWhere(ability, 'read', 'Payout', PAYOUT_ABILITY_COLUMNS),
        input.status ? eq(payoutBatches.status, input.status) : undefined,
        input.created?.from ? gte(payoutBatches.createdAt, input.created.from) : undefined,
        input.created?.to ? lt(payoutBatches.createdAt, input.created.to) : undefined,
        input.cursor
          ? afterCursorRow(payoutBatches, payoutBatches.id, [payoutBatches.createdAt, payoutBatches.id], 'desc', input.cursor)
          : undefined,
      ),
    )
    .orderBy(desc(payoutBatches.createdAt), desc(payoutBatches.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

export interface SkippedPartner {
  partnerId: string;
  currency: string | null;
  amount: number;
  minimum: number | null;
  reasons: PayoutSkipReason[];
}

/** A batch with its totals, every payout with the ledger entries it pays (or released), and the partners it skipped. */
export async function getPayoutBatch(db: Executor, ability: AppAbility, batchId: string) {
  const [batch] = await db
    .select({ ...batchColumns, totals, statusCounts })
    .from(payoutBatches)
    .where(and(eq(payoutBatches.id, batchId), accessibleWhere(ability, 'read', 'Payout', PAYOUT_ABILITY_COLUMNS)));
  if (!batch) throw notFound('Payout batch', batchId);
  const [payoutRows, itemRows, skipped] = await Promise.all([
    db.select(payoutColumns).from(payouts).where(eq(payouts.batchId, batchId)).orderBy(asc(payouts.partnerId), asc(payouts.currency)),
    db
      .select({
        payoutId: payoutItems.payoutId,
        commissionId: payoutItems.commissionId,
        amount: payoutItems.amount,
        releasedAt: payoutItems.releasedAt,
        releaseReason: payoutItems.releaseReason,
      })
      .from(payoutItems)
      .innerJoin(payouts, eq(payouts.id, payoutItems.payoutId))
      .where(eq(payouts.batchId, batchId))
      .orderBy(asc(payoutItems.commissionId)),
    db
      .select({
        partnerId: payoutBatchSkips.partnerId,
        currency: payoutBatchSkips.currency,
        amount: payoutBatchSkips.amount,
        minimum: payoutBatchSkips.minimum,
        reasons: payoutBatchSkips.reasons,
      })
      .from(payoutBatchSkips)
      .where(eq(payoutBatchSkips.batchId, batchId))
      .orderBy(asc(payoutBatchSkips.partnerId), asc(payoutBatchSkips.currency)),
  ]);
  const itemsByPayout = new Map<string, typeof itemRows>();
  for (const item of itemRows) {
    const list = itemsByPayout.get(item.payoutId);
    if (list) list.push(item);
    else itemsByPayout.set(item.payoutId, [item]);
  }
  return {
    ...batch,
    payouts: payoutRows.map((payout) => ({
      ...payout,
      items: (itemsByPayout.get(payout.id) ?? []).map(({ payoutId: _payoutId, ...item }) => item),
    })),
    skipped: skipped satisfies SkippedPartner[],
  };
}
export type PayoutBatchDetail = Awaited<ReturnType<typeof getPayoutBatch>>;
