import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import type { WebhookEvent } from '../webhooks/events.js';
import { RULE_QUERIES } from './rules.js';

type Hit = {
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
 * Runs every fraud rule over the batch's newly stored, attributed events in one query, then in three statements:
 * opens a flag per new hit (one open flag per dedupe key: a hit whose key already has an open flag joins it),
 * links the hit's events to the flag, and puts each newly flagged partner on a fraud hold (partner_holds, source
 * `fraud_flag:<id>`). Returns the flags opened.
 */
export async function detectFraud(tx: Executor, actor: Actor, eventIds: number[]): Promise<OpenedFlag[]> {
  if (eventIds.length === 0) return [];
  const rules = sql.join(
    Object.values(RULE_QUERIES).map((query) => sql`(${query})`),
    sql` union all `,
  );
  const hits = await tx.execute<Hit>(sql`
    with batch as (
      select e.*, v.configuration as cfg
      from referral_events e
      join program_versions v on v.program_id = e.program_id and v.version = e.program_version
      where e.id = any(${sql.param(eventIds)}::bigint[]) and e.attribution_status = 'attributed'
    )
    ${rules}`);
  if (hits.rows.length === 0) return [];
  const input = sql`jsonb_to_recordset(${JSON.stringify(hits.rows)}::jsonb) as h${hitColumns}`;

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
