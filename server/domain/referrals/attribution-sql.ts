import { sql, type SQL } from 'drizzle-orm';

/**
 * Why an event with a partner earns nothing, or NULL when it earns. Reads the columns partner_id, partner_status,
 * program_id and version of the statement it is used in.
 */
export function ineligibilityReason(extra: { inWindow?: SQL; currencyMatches?: SQL } = {}): SQL {
  return sql`case
    when ${extra.inWindow ?? sql`true`} is not true then 'outside_cookie_window'
    when partner_status = 'suspended' then 'partner_suspended'
    when partner_status = 'terminated' then 'partner_terminated'
    when partner_status <> 'active' then 'partner_not_active'
    when program_id is null then 'partner_not_in_program'
    when version is null then 'no_configuration_in_force'
    when ${extra.currencyMatches ?? sql`true`} is not true then 'currency_mismatch'
  end`;
}

/** attribution_status and attribution_reason from a `reason` column (see above) and an `unattributed_reason`. */
export const attributionColumns = sql`
  case when partner_id is null then 'unattributed' when reason is null then 'attributed' else 'ineligible' end,
  case when partner_id is null then unattributed_reason else reason end`;
