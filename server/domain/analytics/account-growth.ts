import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { partnerAccounts } from '../../../db/schema/partners.js';
import { piiVisibleSql, type Caller } from '../partners/access.js';
import { bucketsOf, resolveRange, type DayRange } from './range.js';
import type { AccountGrowthInput } from './schemas.js';
import { authorizePartnerAnalytics, loadPartner, requireProgram, selectionFor } from './scope.js';
import { inSnapshot } from './snapshot.js';
import { dayStart } from './sources.js';

export const TOP_REFERRERS_SHOWN = 20;

export interface AccountGrowthPoint {
  start: string;
  /** Referrer links made in the bucket: customer accounts referred. */
  referred: number;
  /** Referrer links ended in the bucket. */
  ended: number;
  /** Open referrer links when the bucket (or the range, for the last one) ends. */
  activeAtEnd: number;
}

export interface AccountGrowth {
  partnerId: string | null;
  programId: string | null;
  range: DayRange;
  granularity: AccountGrowthInput['granularity'];
  series: AccountGrowthPoint[];
  totals: { referred: number; ended: number; activeAtStart: number; activeAtEnd: number };
  /** The partners who referred most accounts in the range, most first (then by id). */
  topReferrers: { partnerId: string; referralCode: string; name: string | null; referred: number; activeAtEnd: number }[];
}

/**
 * analytics.accountGrowth: customer accounts referred over time, read from the referrer links of partner_accounts
 * (a link's `linked_at` is when the account was referred, its `ended_at` when the partner stopped being its
 * referrer). One partner's, or those of every partner of the selection.
 */
export function accountGrowth(db: Database, caller: Caller, input: AccountGrowthInput, now: Date = new Date()): Promise<AccountGrowth> {
  return inSnapshot(db, (tx) => growthOf(tx, caller, input, now));
}

async function growthOf(db: Executor, caller: Caller, input: AccountGrowthInput, now: Date): Promise<AccountGrowth> {
  const range = resolveRange(input.dateRange, now, 365);
  const buckets = bucketsOf(range, input.granularity);
  if (input.partnerId) authorizePartnerAnalytics(caller, await loadPartner(db, input.partnerId));
  if (input.programId) await requireProgram(db, input.programId);
  const selection = selectionFor(caller.ability, input.programId);
  const [from, to] = [dayStart(range.from), dayStart(range.to)];
  const bucket = (column: string) => sql`date_trunc(${input.granularity}, ${sql.raw(column)} at time zone 'UTC')::date::text`;
  const links = sql`
    select ${partnerAccounts.partnerId} as partner_id, ${partnerAccounts.linkedAt} as linked_at, ${partnerAccounts.endedAt} as ended_at
    from ${partnerAccounts} join partners on partners.id = ${partnerAccounts.partnerId}
    where ${partnerAccounts.role} = 'referrer' and ${selection.partners}
      ${input.partnerId ? sql`and ${partnerAccounts.partnerId} = ${input.partnerId}::uuid` : sql``}
      and ${partnerAccounts.linkedAt} < ${to} and (${partnerAccounts.endedAt} is null or ${partnerAccounts.endedAt} >= ${from})`;
  const counts = await db.execute<{ what: 'linked' | 'ended' | 'open'; bucket: string | null; links: number }>(sql`
    with links as materialized (${links})
    select 'linked' as what, ${bucket('linked_at')} as bucket, count(*)::int as links from links where linked_at >= ${from} group by 2
    union all
    select 'ended', ${bucket('ended_at')}, count(*)::int from links where ended_at >= ${from} and ended_at < ${to} group by 2
    union all
    select 'open', null, count(*)::int from links where linked_at < ${from}`);
  const top = await db.execute<{ partner_id: string; referral_code: string; name: string | null; referred: number; active_at_end: number }>(sql`
    with links as (${links}),
    ranked as (
      select partner_id, count(*) filter (where linked_at >= ${from})::int as referred,
        count(*) filter (where ended_at is null or ended_at >= ${to})::int as active_at_end
      from links group by partner_id
      having count(*) filter (where linked_at >= ${from}) > 0
      order by referred desc, partner_id limit ${TOP_REFERRERS_SHOWN}
    )
    select r.partner_id, partners.referral_code, case when ${piiVisibleSql(caller.ability)} then partners.name end as name,
      r.referred, r.active_at_end
    from ranked r join partners on partners.id = r.partner_id
    order by r.referred desc, r.partner_id`);

  const countOf = (what: 'linked' | 'ended', start: string) =>
    counts.rows.find((row) => row.what === what && row.bucket === start)?.links ?? 0;
  const activeAtStart = counts.rows.find((row) => row.what === 'open')?.links ?? 0;
  let open = activeAtStart;
  const series = buckets.map((start) => {
    const referred = countOf('linked', start);
    const ended = countOf('ended', start);
    open += referred - ended;
    return { start, referred, ended, activeAtEnd: open };
  });
  return {
    partnerId: input.partnerId ?? null,
    programId: input.programId ?? null,
    range,
    granularity: input.granularity,
    series,
    totals: {
      referred: series.reduce((sum, point) => sum + point.referred, 0),
      ended: series.reduce((sum, point) => sum + point.ended, 0),
      activeAtStart,
      activeAtEnd: open,
    },
    topReferrers: top.rows.map((row) => ({
      partnerId: row.partner_id,
      referralCode: row.referral_code,
      name: row.name,
      referred: row.referred,
      activeAtEnd: row.active_at_end,
    })),
  };
}
