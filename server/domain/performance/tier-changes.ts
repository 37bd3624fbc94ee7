import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';
import { instant } from '../partner-jobs/exclusive.js';
import { notifyPartners } from '../partner-jobs/notify.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { emitEvents } from '../webhooks/events.js';
import type { TierChange } from './plan.js';

/**
 * `changePartnerTier` for many partners at once, with reason performance: moves each partner still active in the
 * program and still in `fromTier` (a partner whose tier changed meanwhile is skipped) and their open enrollment,
 * writes the tier history and the `partner.changeTier` audit rows, emits `partner.tier_changed` webhook events, and
 * tells each partner their new rates (tier_changed; dedupe key: the move and its time, so one rendering serves
 * everyone making the same move). Rows are locked in id order.
 */
export async function applyTierChanges(
  tx: Executor,
  actor: Actor,
  program: ProgramInForce,
  changes: TierChange[],
  now: Date,
): Promise<{ promoted: number; demoted: number; notified: number }> {
  if (changes.length === 0) return { promoted: 0, demoted: 0, notified: 0 };
  const payload = JSON.stringify(
    changes.map((change) => ({ partner_id: change.partnerId, from_tier: change.fromTier, to_tier: change.toTier, note: change.note })),
  );
  const result = await tx.execute<{ id: number; partner_id: string; from_tier: string; to_tier: string; note: string }>(sql`
    with change as (
      select * from jsonb_to_recordset(${payload}::jsonb) as c(partner_id uuid, from_tier text, to_tier text, note text)
    ),
    locked as (
      select p.id, c.from_tier, c.to_tier, c.note
      from partners p join change c on c.partner_id = p.id
      where p.tier = c.from_tier and p.program_id = ${program.id} and p.status = 'active'
      order by p.id
      for update of p
    ),
    moved as (
      update partners p set tier = l.to_tier, updated_at = now() from locked l where p.id = l.id
      returning p.id, l.from_tier, l.to_tier, l.note
    ),
    enrollment as (
      update enrollments e set tier = m.to_tier from moved m where e.partner_id = m.id and e.ended_at is null
    )
    insert into partner_tier_history (partner_id, program_id, from_tier, to_tier, reason_code, note, actor_id, created_at)
    select id, ${program.id}, from_tier, to_tier, 'performance', note, ${actor.userId}, ${instant(now)} from moved order by id
    returning id, partner_id, from_tier, to_tier, note`);
  const moved = result.rows;
  await recordActivity(
    tx,
    actor,
    moved.map((row) => ({
      action: 'partner.changeTier',
      entityType: 'partner',
      entityId: row.partner_id,
      before: { tier: row.from_tier },
      after: { tier: row.to_tier, reasonCode: 'performance', note: row.note },
    })),
  );
  await emitEvents(
    tx,
    moved.map((row) => ({
      type: 'partner.tier_changed' as const,
      payload: { partnerId: row.partner_id, programId: program.id, fromTier: row.from_tier, toTier: row.to_tier, at: now.toISOString() },
    })),
  );
  const tiers = new Map(program.configuration.commissionTiers.map((tier) => [tier.name, tier]));
  const notified = await notifyPartners(
    tx,
    'tier_changed',
    moved.map((row) => {
      const tier = tiers.get(row.to_tier)!;
      return {
        partnerId: row.partner_id,
        dedupeKey: `tier-change:${row.from_tier}:${row.to_tier}:${now.toISOString()}`,
        variables: {
          programName: program.name,
          fromTier: row.from_tier,
          toTier: row.to_tier,
          currency: program.currency,
          rate: { rateType: tier.rateType, value: tier.value },
          recurringMonths: tier.recurringMonths,
          overrides: tier.overrides,
          effectiveAt: now,
        },
      };
    }),
  );
  const rank = (name: string) => program.configuration.commissionTiers.findIndex((tier) => tier.name === name);
  const promoted = moved.filter((row) => rank(row.to_tier) > rank(row.from_tier)).length;
  return { promoted, demoted: moved.length - promoted, notified };
}
