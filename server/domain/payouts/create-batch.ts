import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { PayoutBatchFilters } from '../../../db/schema/payouts.js';
import { notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import type { PayoutCaller } from './caller.js';
import { minimumPayout, partnerSkipReasons } from './eligibility-sql.js';
import { getPayoutBatch, type PayoutBatchDetail, type SkippedPartner } from './read.js';
import type { CreateBatchInput } from './schemas.js';

/** Batch creations take turns, so two never look at the same unreserved entries at once. */
const CREATE_BATCH_LOCK = sql`pg_advisory_xact_lock(hashtext('payouts.create_batch'))`;

/**
 * A draft batch with one payout per partner and currency whose unreserved approved ledger entries add up to at
 * least the minimum payout, computed for all partners in one statement. Each payout reserves its entries
 * (payout_items), so no other batch can take them; entries approved later wait for the next batch. Partners left
 * out are reported with every reason. Nothing is written when no partner is payable (`batch` is null).
 */
export async function createPayoutBatch(
  db: Database,
  caller: PayoutCaller,
  input: CreateBatchInput,
): Promise<{ batch: PayoutBatchDetail | null; skipped: SkippedPartner[] }> {
  const filters: PayoutBatchFilters = {
    ...(input.programId ? { programId: input.programId } : {}),
    ...(input.currency ? { currency: input.currency } : {}),
    ...(input.partnerIds ? { partnerIds: input.partnerIds } : {}),
  };
  const created = await db.transaction(async (tx) => {
    await checkFiltersExist(tx, input);
    await tx.execute(sql`select ${CREATE_BATCH_LOCK}`);
    const requested = input.partnerIds ? sql`${sql.param(input.partnerIds)}::uuid[]` : null;
    const result = await tx.execute<{ batchId: string | null; payouts: number; entries: number; skipped: SkippedPartner[] }>(sql`
      with open_entry as materialized (
        select c.id, c.partner_id, c.currency, c.amount
        from commissions c
        where c.status = 'approved'
          and not exists (select 1 from payout_items i where i.commission_id = c.id and i.released_at is null)
          ${input.currency ? sql`and c.currency = ${input.currency}` : sql``}
          ${requested ? sql`and c.partner_id = any(${requested})` : sql``}
          ${input.programId ? sql`and c.partner_id in (select p.id from partners p where p.program_id = ${input.programId})` : sql``}
        order by c.id
        for update of c
      ),
      balance as (
        select partner_id, currency, sum(amount)::bigint as amount from open_entry group by partner_id, currency
      ),
      judged as (
        select b.partner_id, b.currency, b.amount, m.minimum,
          ${partnerSkipReasons(sql`b.partner_id`)} || case
            when b.amount <= 0 then array['nothing_to_pay']
            when b.amount < m.minimum then array['below_minimum']
            else array[]::text[] end as reasons
        from balance b
        cross join lateral (select ${minimumPayout(sql`b.partner_id`, sql`b.currency`)} as minimum) m
      ),
      verdict as (
        select * from judged
        ${requested ? sql`union all
        select r.id, null, 0, null, array['nothing_to_pay']::text[]
        from unnest(${requested}) r(id)
        where not exists (select 1 from balance b where b.partner_id = r.id)` : sql``}
      ),
      batch as (
        insert into payout_batches (filters, note, created_by)
        select ${JSON.stringify(filters)}::jsonb, ${input.note ?? null}, ${caller.actor.userId}
        where exists (select 1 from verdict where cardinality(reasons) = 0)
        returning id
      ),
      payout as (
        insert into payouts (batch_id, partner_id, currency, amount)
        select batch.id, v.partner_id, v.currency, v.amount from verdict v cross join batch where cardinality(v.reasons) = 0
        returning id, partner_id, currency
      ),
      item as (
        insert into payout_items (payout_id, commission_id, amount)
        select p.id, e.id, e.amount from open_entry e join payout p on p.partner_id = e.partner_id and p.currency = e.currency
        returning 1
      ),
      skip as (
        insert into payout_batch_skips (batch_id, partner_id, currency, amount, minimum, reasons)
        select batch.id, v.partner_id, v.currency, v.amount, v.minimum, v.reasons
        from verdict v cross join batch where cardinality(v.reasons) > 0
        returning 1
      )
      select (select id from batch) as "batchId",
        (select count(*) from payout)::int as payouts,
        (select count(*) from item)::int as entries,
        coalesce((
          select json_agg(json_build_object('partnerId', v.partner_id, 'currency', v.currency, 'amount', v.amount,
            'minimum', v.minimum, 'reasons', v.reasons) order by v.partner_id, v.currency)
          from verdict v where cardinality(v.reasons) > 0), '[]'::json) as skipped`);
    const summary = result.rows[0]!;
    if (summary.batchId) {
      await recordActivity(tx, caller.actor, {
        action: 'payout_batch.create',
        entityType: 'payout_batch',
        entityId: summary.batchId,
        after: { status: 'draft', filters, payouts: summary.payouts, entries: summary.entries, skipped: summary.skipped.length },
      });
    }
    return summary;
  });
  const batch = created.batchId ? await getPayoutBatch(db, caller.ability, created.batchId) : null;
  return { batch, skipped: created.skipped };
}

/** A filter naming a program or partner that does not exist is the caller's mistake (NOT_FOUND), not an empty run. */
async function checkFiltersExist(tx: Executor, input: CreateBatchInput) {
  if (input.programId) {
    const program = await tx.execute(sql`select 1 from programs where id = ${input.programId}`);
    if (program.rows.length === 0) throw notFound('Program', input.programId);
  }
  if (input.partnerIds) {
    const missing = await tx.execute<{ id: string }>(sql`
      select r.id from unnest(${sql.param(input.partnerIds)}::uuid[]) r(id)
      where not exists (select 1 from partners p where p.id = r.id) limit 1`);
    if (missing.rows[0]) throw notFound('Partner', missing.rows[0].id);
  }
}
