import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import type { WebhookEvent } from '../webhooks/events.js';
import { RULE_QUERIES } from './rules.js';

/** One rule's hit: the flag it opens or joins (one per dedupe key) and the batch's events that caused it. */
export type FraudHit = {
  rule: string;
  partner_id: string;
  program_id: string | null;
  dedupe_key: string;
  evidence: Record<string, unknown>;
  event_ids: number[];
};

export type OpenedFlag = { id: string; partner_id: string; rule: string };

const hitColumns = sql`(rule text, partner_id uuid, program_id uuid, dedupe_key text, evidence jsonb, event_ids bigint[])`;

/**
 * Every fraud rule at once, as one SELECT of hits over a CTE `batch`: the batch's newly stored, attributed events
 * (referral_events columns plus the configuration of their version, `cfg`). Ingestion runs it in the statement that
 * also folds the rollups and accrues the commissions (referrals/batch-effects.ts).
 */
export const fraudRuleHits = sql.join(
  Object.values(RULE_QUERIES).map((query) => sql`(${query})`),
  sql` union all `,
);

/**
 * Acts on the hits in three statements: opens a flag per new hit (one open flag per dedupe key: a hit whose key
 * already has an open flag joins it), links the hit's events to the flag, and puts each newly flagged partner on a
 * fraud hold (partner_holds, source `fraud_flag:<id>`). Returns the flags opened.
 */
export async function openFraudFlags(tx: Executor, actor: Actor, hits: FraudHit[]): Promise<OpenedFlag[]> {
  if (hits.length === 0) return [];
  const input = sql`jsonb_to_recordset(${JSON.stringify(hits)}::jsonb) as h${hitColumns}`;

  const opened = await tx.execute<OpenedFlag>(sql`
    insert into fraud_flags (partner_id, program_id, rule, dedupe_key, evidence)
    select partner_id, program_id, rule, dedupe_key, evidence from ${input}
    order by dedupe_key
    on conflict (dedupe_key) where status = 'open' do nothing
    returning id, partner_id, rule`);
  await tx.execute(sql`
    insert into fraud_flag_events (flag_id, event_id)
    select f.id, e.event_id
    from ${input}
    join fraud_flags f on f.dedupe_key = h.dedupe_key and f.status = 'open'
    cross join unnest(h.event_ids) as e(event_id)
    on conflict do nothing`);
  const flagIds = opened.rows.map((row) => row.id);
  if (flagIds.length > 0) {
    await tx.execute(sql`
      insert into partner_holds (partner_id, kind, reason, source, created_by)
      select partner_id, 'fraud', 'fraud flag: ' || rule, 'fraud_flag:' || id, ${actor.userId}
      from fraud_flags where id = any(${sql.param(flagIds)}::uuid[])
      on conflict (partner_id, kind, source) where released_at is null do nothing`);
  }
  return opened.rows;
}

/** `fraud_flag.raised` for each flag opened. */
export function fraudWebhookEvents(flags: OpenedFlag[]): WebhookEvent[] {
  return flags.map((flag) => ({ type: 'fraud_flag.raised', payload: { flagId: flag.id, partnerId: flag.partner_id, rule: flag.rule } }));
}
