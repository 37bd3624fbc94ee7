import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { partnerHolds, type HoldKind } from '../../../db/schema/partners.js';
import { createProgram, threeLevelConfiguration } from './money.js';
import { createPartner, type PartnerSpec, type TestPartner, type TestProgram } from './partners.js';

/**
 * Rows for payout tests, inserted directly: a program with a chosen minimum payout, partners that are payable
 * (payout details with a W-9 and an approved W-9 on file, from the partners factory), and approved ledger entries.
 */

export async function createPayoutProgram(db: Database, options: { minimumPayout?: number; currency?: string } = {}): Promise<TestProgram> {
  const configuration = threeLevelConfiguration({ rules: { minimumPayout: options.minimumPayout ?? 5_000 } });
  const id = await createProgram(db, { configuration, currency: options.currency ?? 'USD' });
  return { id, tiers: ['standard'], requiredDocuments: ['w9'] };
}

/** An active partner of `program` with payout details and a valid tax document, unless `without` says otherwise. */
export function createPayablePartner(db: Database, program: TestProgram, spec: Omit<PartnerSpec, 'program' | 'status'> = {}): Promise<TestPartner> {
  return createPartner(db, { ...spec, status: 'active', program });
}

/** An approved earning (ready to be paid) of `amount` minor units. */
export async function addApprovedEntry(
  db: Executor,
  partnerId: string,
  amount: number,
  options: { currency?: string; programId?: string | null } = {},
): Promise<number> {
  const result = await db.execute<{ id: number }>(sql`
    insert into commissions (partner_id, kind, status, level, amount, currency, program_id, created_by, status_changed_at)
    values (${partnerId}, 'earning', 'approved', 0, ${amount}, ${options.currency ?? 'USD'}, ${options.programId ?? null}, 'test', now())
    returning id`);
  return result.rows[0]!.id;
}

/** A payable partner of `program` with approved entries of these amounts (minor units): their ids, in that order. */
export async function createPartnerOwed<const Amounts extends readonly number[]>(
  db: Database,
  program: TestProgram,
  amounts: Amounts,
  entryOptions: { currency?: string; programId?: string | null } = {},
): Promise<{ partner: TestPartner; entries: { -readonly [K in keyof Amounts]: number } }> {
  const partner = await createPayablePartner(db, program);
  const entries: number[] = [];
  for (const amount of amounts) entries.push(await addApprovedEntry(db, partner.id, amount, entryOptions));
  return { partner, entries: entries as { -readonly [K in keyof Amounts]: number } };
}

/** An approved reversal of `entryId` (a clawback of `amount` minor units, given positive). */
export async function addApprovedReversal(db: Executor, entryId: number, amount: number): Promise<number> {
  const result = await db.execute<{ id: number }>(sql`
    insert into commissions (partner_id, kind, status, level, amount, currency, program_id, reverses_id, reason, created_by)
    select partner_id, 'reversal', 'approved', level, ${-amount}, currency, program_id, id, 'refund', 'test'
    from commissions where id = ${entryId}
    returning id`);
  return result.rows[0]!.id;
}

/** What a full refund does to an approved entry: a reversal of all of it, and both become `reversed`. */
export async function reverseFully(db: Database, entryId: number): Promise<void> {
  await db.transaction(async (tx) => {
    const amount = await tx.execute<{ amount: number }>(sql`select amount from commissions where id = ${entryId}`);
    const reversal = await addApprovedReversal(tx, entryId, amount.rows[0]!.amount);
    await tx.execute(sql`update commissions set status = 'reversed', status_changed_at = now() where id in (${entryId}, ${reversal})`);
  });
}

export async function placeHold(db: Executor, partnerId: string, kind: HoldKind): Promise<void> {
  await db.insert(partnerHolds).values({ partnerId, kind, reason: `test ${kind} hold`, source: `test:${kind}`, createdBy: 'test' });
}

export type LedgerSummary = {
  /** The plain sum of the partner's entries in the currency. */
  balance: number;
  /** Sum of approved entries (what the next payout could take). */
  approved: number;
  /** Money paid out: minus the sum of payout entries. */
  paidOut: number;
  payoutEntries: number;
};

export async function ledgerSummary(db: Executor, partnerId: string, currency = 'USD'): Promise<LedgerSummary> {
  const result = await db.execute<LedgerSummary>(sql`
    select coalesce(sum(amount), 0)::bigint as balance,
      coalesce(sum(amount) filter (where status = 'approved'), 0)::bigint as approved,
      (-coalesce(sum(amount) filter (where kind = 'payout'), 0))::bigint as "paidOut",
      (count(*) filter (where kind = 'payout'))::int as "payoutEntries"
    from commissions where partner_id = ${partnerId} and currency = ${currency}`);
  return result.rows[0]!;
}
