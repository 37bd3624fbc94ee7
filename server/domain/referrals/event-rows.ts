import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { ReferralKind } from '../../../db/schema/referrals.js';
import { AppError } from '../../errors.js';
import type { ReferralEventInput } from './schemas.js';

/** One event as the ingesting statements read it (jsonb_to_recordset), with its position in the caller's batch. */
export interface EventRow {
  index: number;
  external_id: string;
  kind: ReferralKind;
  partner_ref: string | null;
  declared_partner_id: string | null;
  unattributed_reason: string;
  account_id: string | null;
  amount: number | null;
  currency: string | null;
  occurred_at: string;
  ip: string | null;
  user_agent: string | null;
  visitor_key: string | null;
  click_external_id: string | null;
  refund_of_external_id: string | null;
}

/** Clicks and conversions meet on this: the explicit visitor id, else a hash of IP and user agent. */
export function visitorKey(event: Pick<ReferralEventInput, 'visitorId' | 'ip' | 'userAgent'>): string | null {
  if (event.visitorId) return `v:${event.visitorId}`;
  if (event.ip && event.userAgent) return `h:${createHash('sha256').update(`${event.ip}\n${event.userAgent}`).digest('hex')}`;
  return null;
}

/**
 * Turns the batch into rows, sorted by external id so that concurrent batches lock the unique index in the same
 * order. Referral codes and partner ids resolve in one query; unknown ones stay on the event as `partner_ref`.
 */
export async function toEventRows(tx: Executor, events: ReferralEventInput[]): Promise<EventRow[]> {
  const codes = [...new Set(events.flatMap((event) => (event.referralCode ? [event.referralCode] : [])))];
  const ids = [...new Set(events.flatMap((event) => (event.partnerId ? [event.partnerId] : [])))];
  const known =
    codes.length + ids.length === 0
      ? []
      : (
          await tx.execute<{ id: string; referral_code: string }>(sql`
            select id, referral_code from partners
            where referral_code = any(${sql.param(codes)}::text[]) or id = any(${sql.param(ids)}::uuid[])`)
        ).rows;
  const byCode = new Map(known.map((row) => [row.referral_code, row.id]));
  const byId = new Set(known.map((row) => row.id));
  await requireAccounts(tx, events);

  return events
    .map((event, index): EventRow => {
      const declared = event.referralCode ? byCode.get(event.referralCode) : event.partnerId && byId.has(event.partnerId) ? event.partnerId : undefined;
      const named = event.referralCode !== undefined || event.partnerId !== undefined;
      return {
        index,
        external_id: event.externalId,
        kind: event.kind,
        partner_ref: event.referralCode ?? event.partnerId ?? null,
        declared_partner_id: declared ?? null,
        unattributed_reason:
          named && !declared
            ? event.referralCode
              ? 'unknown_referral_code'
              : 'unknown_partner'
            : event.kind === 'refund'
              ? 'sale_unattributed'
              : 'no_click_or_referrer',
        account_id: event.accountId ?? null,
        amount: event.amount ?? null,
        currency: event.currency ?? null,
        occurred_at: event.occurredAt.toISOString(),
        ip: event.ip ?? null,
        user_agent: event.userAgent ?? null,
        visitor_key: visitorKey(event),
        click_external_id: event.clickId ?? null,
        refund_of_external_id: event.refundOf ?? null,
      };
    })
    .sort((a, b) => (a.external_id < b.external_id ? -1 : a.external_id > b.external_id ? 1 : 0));
}

/** A customer account an event names must exist: BAD_REQUEST naming the first event that names an unknown one. */
async function requireAccounts(tx: Executor, events: ReferralEventInput[]): Promise<void> {
  const ids = [...new Set(events.flatMap((event) => (event.accountId ? [event.accountId] : [])))];
  if (ids.length === 0) return;
  const found = await tx.execute<{ id: string }>(sql`select id from accounts where id = any(${sql.param(ids)}::uuid[])`);
  const existing = new Set(found.rows.map((row) => row.id));
  const index = events.findIndex((event) => event.accountId !== undefined && !existing.has(event.accountId));
  if (index >= 0) {
    throw new AppError('BAD_REQUEST', `Invalid input: events.${index}.accountId: account ${events[index]!.accountId} does not exist`, {
      field: `events.${index}.accountId`,
    });
  }
}
