import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../../db/client.js';
import { commissions } from '../../../db/schema/commissions.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { notFound } from '../../errors.js';
import type { balanceInput } from './schemas.js';

export interface CurrencyBalance {
  currency: string;
  /** Still in hold (earnings less their reversals). */
  pending: number;
  /** Approved and not yet paid. */
  approved: number;
  /** Clawbacks of commissions already paid (≤ 0): the next payouts net them off. */
  carriedOver: number;
  /** Paid out so far. */
  paid: number;
  /** The sum of all the partner's entries in this currency: pending + approved + carriedOver. */
  balance: number;
  /** What a payout could pay now: approved + carriedOver, when positive. */
  payable: number;
}

type BalanceRow = Omit<CurrencyBalance, 'payable'>;

const sumWhere = (condition: SQL) => sql`coalesce(sum(${commissions.amount}) filter (where ${condition}), 0)::bigint`;
const clawback = sql`${commissions.kind} = 'reversal' and src.status = 'paid'`;

/**
 * A partner's money per currency, straight from the ledger. Paid entries and the payout entries that paid them
 * cancel out, and reversed entries cancel their reversals, so `balance` (the plain sum) splits into the buckets.
 */
export async function commissionBalance(db: Executor, ability: AppAbility, input: z.output<typeof balanceInput>) {
  const partner = await db.execute(sql`select 1 from partners where id = ${input.partnerId}`);
  if (partner.rows.length === 0) throw notFound('Partner', input.partnerId);
  const rows = await db.execute<BalanceRow>(sql`
    select ${commissions.currency} as currency,
      ${sumWhere(sql`${commissions.status} = 'pending'`)} as pending,
      ${sumWhere(sql`${commissions.status} = 'approved' and not (${clawback})`)} as approved,
      ${sumWhere(sql`${commissions.status} = 'approved' and ${clawback}`)} as "carriedOver",
      (-${sumWhere(sql`${commissions.kind} = 'payout'`)})::bigint as paid,
      sum(${commissions.amount})::bigint as balance
    from ${commissions}
    left join commissions src on src.id = ${commissions.reversesId}
    where ${commissions.partnerId} = ${input.partnerId}
      and ${accessibleWhere(ability, 'read', 'Commission', { partnerId: commissions.partnerId })}
    group by ${commissions.currency}
    order by ${commissions.currency}`);
  return {
    partnerId: input.partnerId,
    currencies: rows.rows.map((row): CurrencyBalance => ({ ...row, payable: Math.max(row.approved + row.carriedOver, 0) })),
  };
}
