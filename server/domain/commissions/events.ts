import { sql } from 'drizzle-orm';
import type { WebhookEvent } from '../webhooks/events.js';

/** A ledger entry as the writers return it, enough to tell webhook receivers what moved. */
export type LedgerEntry = {
  id: number;
  partner_id: string;
  kind: string;
  status: string;
  level: number | null;
  amount: number;
  currency: string;
  event_id: number | null;
  reverses_id: number | null;
};

export const ledgerEntryReturning = sql`returning id, partner_id, kind, status, level, amount, currency, event_id, reverses_id`;

/** `commission.created` for each earning or override that pays (forfeited ones do not), `commission.reversed` for each reversal. */
export function commissionWebhookEvents(entries: LedgerEntry[]): WebhookEvent[] {
  return entries
    .filter((entry) => entry.status !== 'forfeited')
    .map((entry) => ({
      type: entry.kind === 'reversal' ? 'commission.reversed' : 'commission.created',
      payload: {
        commissionId: entry.id,
        partnerId: entry.partner_id,
        kind: entry.kind,
        level: entry.level,
        amount: entry.amount,
        currency: entry.currency,
        saleEventId: entry.event_id,
        ...(entry.reverses_id === null ? {} : { reversesId: entry.reverses_id }),
      },
    }));
}

/** Amounts reversed per currency, as positive numbers. */
export function reversedTotals(entries: LedgerEntry[]): { currency: string; amount: number }[] {
  const totals = new Map<string, number>();
  for (const entry of entries) totals.set(entry.currency, (totals.get(entry.currency) ?? 0) - entry.amount);
  return [...totals].map(([currency, amount]) => ({ currency, amount }));
}
