import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { METRIC_DIRECTION, type PerformanceThreshold } from '../programs/configuration.js';
import { measuredPartnersFrom, partnerMetricsSql, type MeasuredPartner, type MetricRow, type MetricsScope } from './metrics.js';

/**
 * Where a partner's metric has reached a bound of its tier: at or past `promoteAt` or `demoteAt`, as
 * `thresholdOutcome` reads them. Null metrics (no denominator) reach nothing.
 */
function reachesBound(threshold: PerformanceThreshold): SQL | undefined {
  const value = sql.raw(`m.${threshold.metric}_${threshold.periodDays}`);
  const higher = METRIC_DIRECTION[threshold.metric] === 'higher';
  const atOrPast = (bound: number, towards: 'up' | 'down') => (towards === 'up' ? sql`${value} >= ${bound}` : sql`${value} <= ${bound}`);
  const reached = [
    threshold.promoteAt === undefined ? undefined : atOrPast(threshold.promoteAt, higher ? 'up' : 'down'),
    threshold.demoteAt === undefined ? undefined : atOrPast(threshold.demoteAt, higher ? 'down' : 'up'),
  ].filter((condition) => condition !== undefined);
  if (reached.length === 0) return undefined;
  return sql`(m.tier = ${threshold.tier} and (${sql.join(reached, sql` or `)}))`;
}

export interface Candidates {
  /** Every active partner measured in the scope. */
  measured: number;
  /** Those with a metric at or past a bound of their tier, the only ones whose tier can move or whose demotion can start or stay pending. */
  partners: Map<string, MeasuredPartner>;
}

/**
 * The job's measuring statement: `partnerMetricsSql` for every partner of the scope, returning only the partners
 * who reached a bound. The others would be planned to stay (and lose any pending demotion, which
 * `keepPendingDemotions` does for everyone not returned), so reading their metrics into the job is wasted work.
 */
export async function measureCandidates(tx: Executor, scope: MetricsScope, thresholds: PerformanceThreshold[], now: Date): Promise<Candidates> {
  const bounds = thresholds.map(reachesBound).filter((condition) => condition !== undefined);
  // One row per candidate, or a single row of nulls when there is none; every row carries the count measured.
  const result = await tx.execute<Partial<MetricRow> & { measured: number }>(sql`
    with metrics as materialized (${partnerMetricsSql(scope, now)})
    select c.measured, m.* from (select count(*)::int as measured from metrics) c
    left join metrics m on ${bounds.length > 0 ? sql.join(bounds, sql` or `) : sql`false`}`);
  const rows = result.rows.filter((row): row is MetricRow & { measured: number } => row.partner_id != null);
  return { measured: result.rows[0]?.measured ?? 0, partners: measuredPartnersFrom(rows, scope.periods) };
}
