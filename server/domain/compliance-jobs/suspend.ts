import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';
import { instant } from '../partner-jobs/exclusive.js';
import { notifyPartners } from '../partner-jobs/notify.js';
import { TRANSITIONS } from '../partners/status-machine.js';
import { emitEvents } from '../webhooks/events.js';

/** The hold source `suspendPartner` gives a compliance suspension's hold; the same here, so both look alike. */
const SUSPENSION_HOLD_SOURCE = 'suspension';

/**
 * `suspendPartner` with reason compliance for many partners in one go (that function takes one partner and a
 * person's ability). Same effects: the status machine's `suspend` move for those it allows (others are skipped),
 * a status-history row, a compliance hold (source 'suspension') so reactivation waits for a compliance officer,
 * the `partner.suspend` audit row, the `partner.suspended` webhook event and the partner_suspended notice (dedupe
 * key: the history row), as `announceStatusChange` writes them. Rows are locked in id order; a partner no longer in a
 * suspendable status by then is left alone.
 */
export async function suspendForCompliance(
  tx: Executor,
  actor: Actor,
  candidates: SQL,
  note: string,
  now: Date,
): Promise<{ suspended: string[]; notified: number }> {
  const { from, to } = TRANSITIONS.suspend;
  const result = await tx.execute<{ history_id: number; partner_id: string; from_status: string; hold_id: string | null }>(sql`
    with target as (
      select p.id, p.status from partners p
      where p.id in (${candidates}) and p.status = any(${sql.param([...from])}::text[])
      order by p.id
      for update of p
    ),
    moved as (
      update partners p set status = ${to}, updated_at = now() from target t where p.id = t.id
      returning p.id, t.status as from_status
    ),
    history as (
      insert into partner_status_history (partner_id, from_status, to_status, reason_code, note, actor_id, created_at)
      select id, from_status, ${to}, 'compliance', ${note}, ${actor.userId}, ${instant(now)} from moved order by id
      returning id, partner_id, from_status
    ),
    holds as (
      insert into partner_holds (partner_id, kind, reason, source, created_by, created_at)
      select partner_id, 'compliance', ${note}, ${SUSPENSION_HOLD_SOURCE}, ${actor.userId}, ${instant(now)} from history order by partner_id
      on conflict do nothing
      returning id, partner_id
    )
    select h.id as history_id, h.partner_id, h.from_status, holds.id as hold_id
    from history h left join holds on holds.partner_id = h.partner_id
    order by h.partner_id`);
  const rows = result.rows;
  await recordActivity(
    tx,
    actor,
    rows.map((row) => ({
      action: 'partner.suspend',
      entityType: 'partner',
      entityId: row.partner_id,
      before: { status: row.from_status },
      after: { status: to, reasonCode: 'compliance', note, holdId: row.hold_id },
    })),
  );
  await emitEvents(
    tx,
    rows.map((row) => ({
      type: 'partner.suspended' as const,
      payload: { partnerId: row.partner_id, fromStatus: row.from_status, toStatus: to, reasonCode: 'compliance', at: now.toISOString() },
    })),
  );
  const notified = await notifyPartners(
    tx,
    'partner_suspended',
    rows.map((row) => ({
      partnerId: row.partner_id,
      dedupeKey: `status-history:${row.history_id}`,
      variables: { reasonCode: 'compliance' as const, note },
    })),
  );
  return { suspended: rows.map((row) => row.partner_id), notified };
}
