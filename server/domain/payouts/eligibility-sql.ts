import { sql, type SQL } from 'drizzle-orm';
import { programRules } from '../programs/configuration.js';
import { versionInForce } from '../referrals/program-rules-sql.js';

const DEFAULT_MINIMUM_PAYOUT = programRules.parse({}).minimumPayout;

/**
 * Why a partner cannot be paid now, whatever the amount, as a text[] (empty when payable): an open fraud or
 * compliance hold, no payout details, or no approved, unexpired tax document of the form the payout details name.
 * `partnerId` is a column of the calling statement.
 */
export function partnerSkipReasons(partnerId: SQL): SQL {
  const openHold = (kind: string) =>
    sql`exists (select 1 from partner_holds h where h.partner_id = ${partnerId} and h.released_at is null and h.kind = ${kind})`;
  const details = sql`exists (select 1 from partner_payout_details d where d.partner_id = ${partnerId})`;
  const validTaxDocument = sql`exists (
    select 1 from partner_payout_details d
    join compliance_documents doc on doc.partner_id = d.partner_id and doc.kind = d.tax_form
    where d.partner_id = ${partnerId} and doc.status = 'approved'
      and (doc.expires_on is null or doc.expires_on > (now() at time zone 'utc')::date))`;
  return sql`array_remove(array[
    case when ${openHold('fraud')} then 'fraud_hold' end,
    case when ${openHold('compliance')} then 'compliance_hold' end,
    case when not ${details} then 'missing_payout_details' end,
    case when ${details} and not ${validTaxDocument} then 'missing_tax_document' end
  ]::text[], null)`;
}

/**
 * The minimum payout in `currency` for a partner: rules.minimumPayout of the configuration in force now of the
 * partner's program, when the program pays in that currency; otherwise the configuration default.
 */
export function minimumPayout(partnerId: SQL, currency: SQL): SQL {
  return sql`coalesce((
    select (v.configuration #>> '{rules,minimumPayout}')::bigint
    from partners p
    join programs pr on pr.id = p.program_id and pr.currency = ${currency}
    cross join lateral ${versionInForce(sql`pr.id`, sql`now()`)} v
    where p.id = ${partnerId}), ${DEFAULT_MINIMUM_PAYOUT}::bigint)`;
}
