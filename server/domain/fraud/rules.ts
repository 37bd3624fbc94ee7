import { sql, type SQL } from 'drizzle-orm';
import type { FraudRule } from '../../../db/schema/fraud.js';
import { fraudThreshold, selfReferralAllowed } from '../referrals/program-rules-sql.js';

/**
 * The fraud rules, each one SELECT over the batch's attributed events (`batch`: the referral_events columns id,
 * kind, partner_id, program_id, program_version, account_id, amount, currency, occurred_at, ip, attributed_click_id,
 * refund_of_id, plus the configuration of the event's version, `cfg`) yielding hits: (rule, partner_id, program_id, dedupe_key,
 * evidence, event_ids). Thresholds come from rules.fraud of that configuration; a hit needs strictly more than
 * the limit (or, for speed, strictly less time), so a value exactly at the bound passes.
 */

/** Public mailbox providers: a customer and a partner both on gmail.com says nothing about self-referral. */
export const PUBLIC_EMAIL_DOMAINS = [
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'yahoo.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.de',
  'web.de',
  'mail.com',
  'yandex.com',
];
/** Refund rate: the partner's sales of the last REFUND_RATE_LOOKBACK_DAYS, once there are REFUND_RATE_MIN_SALES. */
export const REFUND_RATE_LOOKBACK_DAYS = 90;
export const REFUND_RATE_MIN_SALES = 5;

const cfg = (column: string) => sql.raw(column);

/** The customer account is the partner's own: linked as its 'owner', or on the partner's email domain. */
const selfReferral = sql`
  select 'self_referral' as rule, b.partner_id, b.program_id,
    'self_referral:' || b.partner_id || ':' || b.account_id as dedupe_key,
    jsonb_build_object(
      'accountId', b.account_id,
      'match', case when bool_or(owned.yes) then 'owner_account' else 'email_domain' end,
      'emailDomain', a.email_domain) as evidence,
    array_agg(b.id order by b.id) as event_ids
  from batch b
  join accounts a on a.id = b.account_id
  join partners p on p.id = b.partner_id
  cross join lateral (
    select exists (
      select 1 from partner_accounts pa
      where pa.partner_id = b.partner_id and pa.account_id = b.account_id and pa.role = 'owner' and pa.ended_at is null
    ) as yes
  ) owned
  where b.kind in ('lead', 'sale') and not ${selfReferralAllowed(cfg('b.cfg'))}
    and (owned.yes or (
      lower(a.email_domain) = lower(split_part(p.email, '@', 2))
      and lower(a.email_domain) <> all(${sql.param(PUBLIC_EMAIL_DOMAINS)}::text[])))
  group by b.partner_id, b.program_id, b.account_id, a.email_domain`;

/** More leads from one IP on one UTC day than rules.fraud.maxLeadsPerIpPerDay (all partners' leads count). */
const leadIpVelocity = sql`
  select 'lead_ip_velocity', b.partner_id, b.program_id,
    'lead_ip_velocity:' || b.partner_id || ':' || host(b.ip) || ':' || d.day::date,
    jsonb_build_object('ip', host(b.ip), 'day', d.day::date, 'leads', n.leads, 'limit', lim.value),
    array_agg(b.id order by b.id)
  from batch b
  cross join lateral (select date_trunc('day', b.occurred_at, 'UTC') as day) d
  cross join lateral (select ${fraudThreshold(cfg('b.cfg'), 'maxLeadsPerIpPerDay')} as value) lim
  cross join lateral (
    select count(*) as leads from referral_events l
    where l.kind = 'lead' and l.ip = b.ip and l.occurred_at >= d.day and l.occurred_at < d.day + interval '1 day'
  ) n
  where b.kind = 'lead' and b.ip is not null and n.leads > lim.value
  group by b.partner_id, b.program_id, b.ip, d.day, n.leads, lim.value`;

/** More of a partner's clicks within any 60 seconds than rules.fraud.maxClicksPerMinute. */
const clickVelocity = sql`
  select 'click_velocity', b.partner_id, b.program_id, 'click_velocity:' || b.partner_id,
    jsonb_build_object('peakClicksPerMinute', max(w.clicks), 'limit', lim.value, 'from', min(b.occurred_at), 'to', max(b.occurred_at)),
    array_agg(b.id order by b.id)
  from batch b
  cross join lateral (select ${fraudThreshold(cfg('b.cfg'), 'maxClicksPerMinute')} as value) lim
  join (
    select e.id, count(*) over (
      partition by e.partner_id order by e.occurred_at
      range between interval '59.999999 seconds' preceding and current row) as clicks
    from referral_events e
    join (
      select partner_id, min(occurred_at) as first_at, max(occurred_at) as last_at
      from batch where kind = 'click' group by partner_id
    ) span on span.partner_id = e.partner_id
    where e.kind = 'click' and e.occurred_at > span.first_at - interval '1 minute' and e.occurred_at <= span.last_at
  ) w on w.id = b.id
  where b.kind = 'click' and w.clicks > lim.value
  group by b.partner_id, b.program_id, lim.value`;

/** A lead or sale sooner after its click than rules.fraud.minSecondsClickToConversion. */
const fastConversion = sql`
  select 'fast_conversion', b.partner_id, b.program_id, 'fast_conversion:' || b.partner_id,
    jsonb_build_object('limitSeconds', lim.value, 'conversions', jsonb_agg(jsonb_build_object(
      'eventId', b.id, 'clickId', c.id, 'seconds', extract(epoch from b.occurred_at - c.occurred_at)) order by b.id)),
    array_agg(b.id order by b.id)
  from batch b
  join referral_events c on c.id = b.attributed_click_id
  cross join lateral (select ${fraudThreshold(cfg('b.cfg'), 'minSecondsClickToConversion')} as value) lim
  where b.kind in ('lead', 'sale') and b.occurred_at - c.occurred_at < make_interval(secs => lim.value)
  group by b.partner_id, b.program_id, lim.value`;

/** Refunded share of the partner's recent sales (by amount) above rules.fraud.maxRefundRateBps. */
const refundRate = sql`
  select 'refund_rate', r.partner_id, r.program_id, 'refund_rate:' || r.partner_id,
    jsonb_build_object('sales', s.sales, 'soldAmount', s.sold, 'refundedAmount', f.refunded,
      'rateBps', f.refunded * 10000 / s.sold, 'limitBps', r.lim, 'lookbackDays', ${REFUND_RATE_LOOKBACK_DAYS}::int),
    r.event_ids
  from (
    select b.partner_id, b.program_id, max(b.occurred_at) as at, ${fraudThreshold(cfg('b.cfg'), 'maxRefundRateBps')} as lim,
      array_agg(b.id order by b.id) as event_ids
    from batch b where b.kind = 'refund'
    group by b.partner_id, b.program_id, lim
  ) r
  cross join lateral (
    select count(*) as sales, coalesce(sum(amount), 0)::bigint as sold, array_agg(id) as ids from referral_events
    where partner_id = r.partner_id and kind = 'sale' and attribution_status = 'attributed'
      and occurred_at > r.at - make_interval(days => ${REFUND_RATE_LOOKBACK_DAYS}::int) and occurred_at <= r.at
  ) s
  cross join lateral (
    select coalesce(sum(amount), 0)::bigint as refunded from referral_events where kind = 'refund' and refund_of_id = any(s.ids)
  ) f
  where s.sales >= ${REFUND_RATE_MIN_SALES}::int and f.refunded * 10000 > s.sold * r.lim`;

/** An upline whose payout identity (fingerprint) is the converting partner's: a partner recruiting itself. */
const sharedPayoutFingerprint = sql`
  select 'shared_payout_fingerprint', t.ancestor_id, b.program_id,
    'shared_payout_fingerprint:' || t.ancestor_id || ':' || b.partner_id,
    jsonb_build_object('downlinePartnerId', b.partner_id, 'depth', t.depth),
    array_agg(b.id order by b.id)
  from batch b
  join partner_tree t on t.descendant_id = b.partner_id and t.depth >= 1
  join partner_payout_details mine on mine.partner_id = b.partner_id
  join partner_payout_details up on up.partner_id = t.ancestor_id and up.fingerprint = mine.fingerprint
  where b.kind in ('lead', 'sale')
  group by t.ancestor_id, b.program_id, b.partner_id, t.depth`;

export const RULE_QUERIES: Record<FraudRule, SQL> = {
  self_referral: selfReferral,
  lead_ip_velocity: leadIpVelocity,
  click_velocity: clickVelocity,
  fast_conversion: fastConversion,
  refund_rate: refundRate,
  shared_payout_fingerprint: sharedPayoutFingerprint,
};
