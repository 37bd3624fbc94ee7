import { sql, type SQL } from 'drizzle-orm';

/**
 * Whether an open fraud flag holds a commissions entry: every entry of the flagged partner, and every entry (of
 * any partner, e.g. an upline's override) stemming from an event the flag names. Held entries are not approved.
 * `entry` is the commissions table's alias in the calling statement.
 */
export function heldByOpenFlag(entry: string): SQL {
  const alias = sql.raw(entry);
  return sql`(
    exists (select 1 from fraud_flags hf where hf.status = 'open' and hf.partner_id = ${alias}.partner_id)
    or exists (
      select 1 from fraud_flag_events hfe join fraud_flags hf on hf.id = hfe.flag_id
      where hf.status = 'open' and hfe.event_id = ${alias}.event_id))`;
}
