import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { AttributionStatus, ReferralKind } from '../../../db/schema/referrals.js';
import { AppError } from '../../errors.js';
import { arrayLiteral } from '../shared/array-literal.js';
import { attributionColumns, ineligibilityReason } from './attribution-sql.js';
import type { EventRow } from './event-rows.js';
import { intRule, spanCovers, versionSpans } from './program-rules-sql.js';

export type InsertedEvent = {
  id: number;
  externalId: string;
  kind: ReferralKind;
  partnerId: string | null;
  attributionStatus: AttributionStatus;
  attributionReason: string | null;
};

// Aliased to the fields of InsertedEvent, so rows need no mapping.
const returning = sql`returning id, external_id as "externalId", kind, partner_id as "partnerId",
  attribution_status as "attributionStatus", attribution_reason as "attributionReason"`;

/** The input columns and their SQL types: the batch travels as one array per column, unnested in SQL. */
const INPUT_TYPES = {
  external_id: 'text',
  kind: 'text',
  partner_ref: 'text',
  declared_partner_id: 'uuid',
  unattributed_reason: 'text',
  account_id: 'uuid',
  amount: 'int8',
  currency: 'text',
  occurred_at: 'timestamptz',
  ip: 'inet',
  user_agent: 'text',
  visitor_key: 'text',
  click_external_id: 'text',
  refund_of_external_id: 'text',
} as const satisfies Record<Exclude<keyof EventRow, 'index'>, string>;
type InputColumn = keyof typeof INPUT_TYPES;

/** `select … from unnest(…)` of the given columns of the rows: parsing arrays costs PostgreSQL far less than jsonb. */
function inputOf(rows: EventRow[], columns: InputColumn[]): SQL {
  const arrays = columns.map((column) => sql`${arrayLiteral(rows.map((row) => row[column]))}::${sql.raw(INPUT_TYPES[column])}[]`);
  return sql`select * from unnest(${sql.join(arrays, sql`, `)}) as i(${sql.raw(columns.join(', '))})`;
}

async function run(tx: Executor, statement: SQL): Promise<InsertedEvent[]> {
  return (await tx.execute<InsertedEvent>(statement)).rows;
}

const CLICK_COLUMNS: InputColumn[] = [
  'external_id', 'partner_ref', 'declared_partner_id', 'unattributed_reason', 'account_id', 'occurred_at', 'ip', 'user_agent', 'visitor_key',
];
const CONVERSION_COLUMNS: InputColumn[] = [...CLICK_COLUMNS, 'kind', 'amount', 'currency', 'click_external_id'];
const REFUND_COLUMNS: InputColumn[] = [
  'external_id', 'unattributed_reason', 'account_id', 'amount', 'currency', 'occurred_at', 'ip', 'user_agent', 'visitor_key', 'refund_of_external_id',
];

/** A click belongs to the partner its referral link named. */
export function insertClicks(tx: Executor, rows: EventRow[], apiKeyId: string): Promise<InsertedEvent[]> {
  if (rows.length === 0) return Promise.resolve([]);
  return run(
    tx,
    sql`
    with input as (${inputOf(rows, CLICK_COLUMNS)}),
    named as (
      select i.*, p.id as partner_id, p.status as partner_status, p.program_id
      from input i left join partners p on p.id = i.declared_partner_id
    ),
    versions as ${versionSpans(sql`select program_id from named`)},
    judged as (
      select n.*, v.version from named n left join versions v on v.program_id = n.program_id and ${spanCovers(sql`v`, sql`n.occurred_at`)}
    ),
    decided as (select j.*, ${ineligibilityReason()} as reason from judged j)
    insert into referral_events (
      external_id, kind, partner_ref, declared_partner_id, account_id, occurred_at, ip, user_agent, visitor_key,
      partner_id, program_id, program_version, attribution_method, attribution_status, attribution_reason, api_key_id)
    select external_id, 'click', partner_ref, declared_partner_id, account_id, occurred_at, ip, user_agent, visitor_key,
      partner_id, program_id, version, case when partner_id is not null then 'referral_link' end, ${attributionColumns}, ${apiKeyId}::uuid
    from decided order by external_id
    on conflict (external_id) do nothing
    ${returning}`,
  );
}

/**
 * Leads and sales. The first source that applies wins: (1) the click named by clickId, (2) the partner the event
 * names, (3) the visitor's last click at or before the event, (4) the customer account's referring partner. A click
 * older than the cookie window (of the configuration in force at the event's time) yields to the next source; if
 * none is left, the event keeps that click's partner as ineligible, reason outside_cookie_window. Runs after the
 * batch's clicks are inserted, so a conversion finds a click sent in the same batch.
 */
export function insertConversions(tx: Executor, rows: EventRow[], apiKeyId: string): Promise<InsertedEvent[]> {
  if (rows.length === 0) return Promise.resolve([]);
  return run(
    tx,
    sql`
    with input as (${inputOf(rows, CONVERSION_COLUMNS)}),
    candidates as (
      select i.external_id, 1 as rank, 'click_id' as method, c.partner_id, c.id as click_id, c.occurred_at as click_at
      from input i
      -- Lateral, so that each named click is one probe of the external id index, whatever the statistics say.
      cross join lateral (
        select id, partner_id, occurred_at from referral_events
        where external_id = i.click_external_id and kind = 'click' and partner_id is not null and occurred_at <= i.occurred_at
      ) c
      where i.click_external_id is not null
      union all
      select i.external_id, 2, 'declared', i.declared_partner_id, null, null
      from input i where i.declared_partner_id is not null
      union all
      select i.external_id, 3, 'last_click', c.partner_id, c.id, c.occurred_at
      from input i
      cross join lateral (
        select id, partner_id, occurred_at from referral_events
        where kind = 'click' and visitor_key = i.visitor_key and occurred_at <= i.occurred_at and partner_id is not null
        order by occurred_at desc, id desc limit 1
      ) c
      where i.visitor_key is not null
      union all
      select i.external_id, 4, 'account_referrer', pa.partner_id, null, null
      from input i
      join partner_accounts pa on pa.account_id = i.account_id and pa.role = 'referrer' and pa.ended_at is null
    ),
    named as (
      select c.*, i.occurred_at, p.status as partner_status, p.program_id
      from candidates c
      join input i using (external_id)
      join partners p on p.id = c.partner_id
    ),
    versions as ${versionSpans(sql`select program_id from named`)},
    weighed as (
      select n.*, v.version,
        n.click_at is null
          or n.occurred_at - n.click_at <= make_interval(days => ${intRule(sql`v.configuration`, 'cookieWindowDays')}) as in_window
      from named n
      left join versions v on v.program_id = n.program_id and ${spanCovers(sql`v`, sql`n.occurred_at`)}
    ),
    chosen as (
      select distinct on (external_id) * from weighed order by external_id, in_window desc, rank
    ),
    judged as (
      select i.*, c.partner_id, c.partner_status, c.program_id, c.version, c.method, c.click_id, c.in_window,
        pr.currency as program_currency
      from input i
      left join chosen c using (external_id)
      left join programs pr on pr.id = c.program_id
    ),
    decided as (
      select j.*, ${ineligibilityReason({
        inWindow: sql`in_window`,
        currencyMatches: sql`(kind <> 'sale' or currency = program_currency)`,
      })} as reason
      from judged j
    )
    insert into referral_events (
      external_id, kind, partner_ref, declared_partner_id, account_id, amount, currency, occurred_at, ip, user_agent,
      visitor_key, click_external_id, partner_id, program_id, program_version, attribution_method, attributed_click_id,
      attribution_status, attribution_reason, api_key_id)
    select external_id, kind, partner_ref, declared_partner_id, account_id, amount, currency, occurred_at, ip, user_agent,
      visitor_key, click_external_id, partner_id, program_id, version, method, click_id, ${attributionColumns}, ${apiKeyId}::uuid
    from decided order by external_id
    on conflict (external_id) do nothing
    ${returning}`,
  );
}

type SaleRow = { id: number; external_id: string; currency: string; amount: number; occurred_ms: number };

function badRefund(row: EventRow, field: string, message: string): AppError {
  return new AppError('BAD_REQUEST', `Invalid input: events.${row.index}.${field}: ${message}`, { field: `events.${row.index}.${field}` });
}

/**
 * Refunds take partner, program and attribution from the sale they refund. The sales are locked first, so
 * concurrent refunds of one sale queue up and the check that refunds never exceed the sale sees them all.
 */
export async function insertRefunds(tx: Executor, rows: EventRow[], apiKeyId: string): Promise<InsertedEvent[]> {
  if (rows.length === 0) return [];
  const saleIds = [...new Set(rows.map((row) => row.refund_of_external_id!))];
  const sales = await tx.execute<SaleRow>(sql`
    select id, external_id, currency, amount, (extract(epoch from occurred_at) * 1000)::float8 as occurred_ms from referral_events
    where kind = 'sale' and external_id = any(${sql.param(saleIds)}::text[])
    order by id for update`);
  const saleByExternalId = new Map(sales.rows.map((sale) => [sale.external_id, sale]));
  for (const row of rows) {
    const sale = saleByExternalId.get(row.refund_of_external_id!);
    if (!sale) throw badRefund(row, 'refundOf', `no sale with external id ${row.refund_of_external_id}`);
    if (sale.currency !== row.currency) throw badRefund(row, 'currency', `the sale was in ${sale.currency}`);
    if (Date.parse(row.occurred_at) < sale.occurred_ms) throw badRefund(row, 'occurredAt', 'is before the sale it refunds');
  }

  const inserted = await run(
    tx,
    sql`
    with input as (${inputOf(rows, REFUND_COLUMNS)})
    insert into referral_events (
      external_id, kind, account_id, amount, currency, occurred_at, ip, user_agent, visitor_key, refund_of_external_id,
      refund_of_id, partner_id, program_id, program_version, attribution_method, attribution_status, attribution_reason,
      api_key_id)
    select i.external_id, 'refund', coalesce(i.account_id, s.account_id), i.amount, i.currency, i.occurred_at, i.ip,
      i.user_agent, i.visitor_key, i.refund_of_external_id, s.id, s.partner_id, s.program_id, s.program_version,
      case when s.partner_id is not null then 'refund_of' end, s.attribution_status,
      case when s.partner_id is null then i.unattributed_reason else s.attribution_reason end, ${apiKeyId}::uuid
    from input i
    join referral_events s on s.external_id = i.refund_of_external_id and s.kind = 'sale'
    order by i.external_id
    on conflict (external_id) do nothing
    ${returning}`,
  );

  const overRefunded = await tx.execute<{ external_id: string; amount: number; refunded: number }>(sql`
    select s.external_id, s.amount, sum(r.amount)::bigint as refunded
    from referral_events s join referral_events r on r.refund_of_id = s.id
    where s.id = any(${sql.param(sales.rows.map((sale) => sale.id))}::bigint[])
    group by s.id
    having sum(r.amount) > s.amount`);
  const first = overRefunded.rows[0];
  if (first) {
    const row = rows.find((candidate) => candidate.refund_of_external_id === first.external_id)!;
    throw badRefund(row, 'amount', `refunds of sale ${first.external_id} would total ${first.refunded}, more than its amount ${first.amount}`);
  }
  return inserted;
}
