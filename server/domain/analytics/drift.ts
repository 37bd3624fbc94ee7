import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { ALL_DAYS } from './range.js';
import { attributedEvents, eventMeasures, MEASURES, measureColumns, windowsCovering } from './rollups.js';
import { rawSources, rollupSources } from './sources.js';

export type Drift = {
  rollup: 'days' | 'months' | 'years' | 'windows' | 'activity' | 'commission_days' | 'accepted_agreement_version' | 'documents_valid_until';
  key: Record<string, unknown>;
  stored: Record<string, unknown> | null;
  recomputed: Record<string, unknown> | null;
};

/** Rows where `stored` and `recomputed` differ on `measures`; a row missing on one side counts as all zeros there. */
function differences(rollup: Drift['rollup'], stored: SQL, recomputed: SQL, keys: string[], measures: string[]): SQL {
  const keyJson = keys.map((key) => `'${key}', coalesce(s.${key}, r.${key})`).join(', ');
  const zeroed = (alias: string) => measures.map((measure) => `coalesce(${alias}.${measure}, 0)`).join(', ');
  const json = (alias: string) => `json_build_object(${measures.map((measure) => `'${measure}', ${alias}.${measure}`).join(', ')})`;
  return sql`
    select ${sql.raw(`'${rollup}'`)} as rollup, json_build_object(${sql.raw(keyJson)}) as key,
      case when s.${sql.raw(keys[0]!)} is null then null else ${sql.raw(json('s'))} end as stored,
      case when r.${sql.raw(keys[0]!)} is null then null else ${sql.raw(json('r'))} end as recomputed
    from ${stored} s full join ${recomputed} r using (${sql.raw(keys.join(', '))})
    where (${sql.raw(zeroed('s'))}) is distinct from (${sql.raw(zeroed('r'))})`;
}

const EVENT_MEASURES = [...MEASURES];

/**
 * Compares every rollup with the same figures recomputed from referral_events and commissions, and each partner's
 * accepted agreement version with its acceptances and documents' validity with its documents; an empty result means
 * they agree. A full scan of the raw tables: for tests, the bench seed and an operator's spot check, never for a
 * dashboard. Activity times are compared as stored (an absent row equals one of nulls).
 */
export async function rollupDrift(db: Executor): Promise<Drift[]> {
  const eventKeys = ['partner_id', 'period', 'program_id', 'currency'];
  const activityFacts = (alias: string) =>
    sql.raw(
      `json_build_object('first_event_at', ${alias}.first_event_at, 'last_event_at', ${alias}.last_event_at, 'first_sale_at', ${alias}.first_sale_at, ` +
        `'program_id', ${alias}.program_id, 'partner_created_at', ${alias}.partner_created_at)`,
    );
  const yearFacts = (alias: string) =>
    sql.raw(`json_build_object('active_months', ${alias}.active_months, 'last_active_day', ${alias}.last_active_day)`);
  const result = await db.execute<Drift>(sql`
    ${differences('days', rollupSources.days(ALL_DAYS), rawSources.days(ALL_DAYS), eventKeys, EVENT_MEASURES)}
    union all
    ${differences('months', rollupSources.months(ALL_DAYS), rawSources.months(ALL_DAYS), eventKeys, [...EVENT_MEASURES, 'active_days'])}
    union all
    select 'years', json_build_object('partner_id', coalesce(s.partner_id, r.partner_id), 'period', coalesce(s.period, r.period),
        'program_id', coalesce(s.program_id, r.program_id)),
      case when s.partner_id is null then null else ${yearFacts('s')} end,
      case when r.partner_id is null then null else ${yearFacts('r')} end
    from ${rollupSources.years(ALL_DAYS)} s full join ${rawSources.years(ALL_DAYS)} r using (partner_id, period, program_id)
    where (s.active_months, s.last_active_day) is distinct from (r.active_months, r.last_active_day)
    union all
    ${differences(
      'windows',
      sql`(select days, partner_id, program_id, currency, ${measureColumns} from analytics_partner_windows)`,
      sql`(
        select w.days, f.partner_id, f.program_id, f.currency, ${eventMeasures}
        from (${attributedEvents(sql`true`)}) f cross join analytics_window_state s
        ${windowsCovering(sql`f.day`, sql`s.as_of`)}
        group by 1, 2, 3, 4)`,
      ['days', 'partner_id', 'program_id', 'currency'],
      EVENT_MEASURES,
    )}
    union all
    select 'activity', json_build_object('partner_id', coalesce(s.partner_id, r.partner_id)),
      case when s.partner_id is null then null else ${activityFacts('s')} end,
      case when r.partner_id is null then null else ${activityFacts('r')} end
    -- A row without times holds only a partner's program (the partners trigger's, for a partner without activity).
    from (select * from ${rollupSources.activity()} a where a.first_event_at is not null) s
    full join ${rawSources.activity()} r using (partner_id)
    where (s.first_event_at, s.last_event_at, s.first_sale_at, s.program_id, s.partner_created_at)
      is distinct from (r.first_event_at, r.last_event_at, r.first_sale_at, r.program_id, r.partner_created_at)
    union all
    ${differences(
      'commission_days',
      rollupSources.commissionDays(ALL_DAYS),
      rawSources.commissionDays(ALL_DAYS),
      ['partner_id', 'day', 'currency', 'kind', 'level', 'status'],
      ['amount', 'entries'],
    )}
    union all
    select 'accepted_agreement_version', json_build_object('partner_id', p.id),
      json_build_object('version', p.accepted_agreement_version), json_build_object('version', a.version)
    from partners p left join partner_accepted_agreement_versions a on a.partner_id = p.id
    where p.accepted_agreement_version is distinct from a.version
    union all
    select 'documents_valid_until', json_build_object('partner_id', p.id),
      json_build_object('validUntil', p.documents_valid_until), json_build_object('validUntil', coalesce(d.valid_until, '{}'))
    from partners p left join partner_documents_valid_until d on d.partner_id = p.id
    where p.documents_valid_until is distinct from coalesce(d.valid_until, '{}')`);
  return result.rows;
}
