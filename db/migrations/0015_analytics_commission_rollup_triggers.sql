-- Commission rollups follow the ledger inside the writing transaction: an insert adds its entries, a status move
-- shifts each moved entry's amount from its old status row to its new one. Statement-level triggers with
-- transition tables keep this set-based (one upsert per statement, whatever its row count) and cannot miss a row:
-- the rollup change commits or rolls back with the ledger change. Rows are upserted in key order, so concurrent
-- statements lock shared rollup rows in the same order. Only earnings, overrides and reversals are rolled up; an
-- entry's day is that of its refund (refund reversals) or its sale (everything else).
-- The event rollups are folded by the ingesting transaction (server/domain/analytics/rollups.ts); this migration
-- builds all four from what is already stored, with writers shut out until it commits.
LOCK TABLE referral_events, commissions IN SHARE MODE;
--> statement-breakpoint
CREATE FUNCTION analytics_commissions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_commission_days AS t (partner_id, day, currency, kind, level, status, amount, entries)
  SELECT c.partner_id, (coalesce(e.occurred_at, c.created_at) AT TIME ZONE 'UTC')::date, c.currency, c.kind, c.level,
    c.status, sum(c.amount), count(*)
  FROM inserted_rows c
  LEFT JOIN referral_events e ON e.id = coalesce(c.refund_event_id, c.event_id)
  WHERE c.kind IN ('earning', 'override', 'reversal')
  GROUP BY 1, 2, 3, 4, 5, 6
  ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (partner_id, day, currency, kind, level, status)
  DO UPDATE SET amount = t.amount + excluded.amount, entries = t.entries + excluded.entries;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER analytics_commissions_inserted AFTER INSERT ON commissions
  REFERENCING NEW TABLE AS inserted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION analytics_commissions_inserted();
--> statement-breakpoint
CREATE FUNCTION analytics_commissions_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_commission_days AS t (partner_id, day, currency, kind, level, status, amount, entries)
  SELECT c.partner_id, (coalesce(e.occurred_at, c.created_at) AT TIME ZONE 'UTC')::date, c.currency, c.kind, c.level,
    c.status, sum(c.amount), sum(c.entries)
  FROM (
    SELECT o.partner_id, o.event_id, o.refund_event_id, o.created_at, o.currency, o.kind, o.level, o.status,
      -o.amount AS amount, -1 AS entries
    FROM rows_before o JOIN rows_after n ON n.id = o.id
    WHERE n.status IS DISTINCT FROM o.status
    UNION ALL
    SELECT n.partner_id, n.event_id, n.refund_event_id, n.created_at, n.currency, n.kind, n.level, n.status,
      n.amount, 1
    FROM rows_after n JOIN rows_before o ON o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status
  ) c
  LEFT JOIN referral_events e ON e.id = coalesce(c.refund_event_id, c.event_id)
  WHERE c.kind IN ('earning', 'override', 'reversal')
  GROUP BY 1, 2, 3, 4, 5, 6
  ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (partner_id, day, currency, kind, level, status)
  DO UPDATE SET amount = t.amount + excluded.amount, entries = t.entries + excluded.entries;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER analytics_commissions_moved AFTER UPDATE ON commissions
  REFERENCING OLD TABLE AS rows_before NEW TABLE AS rows_after
  FOR EACH STATEMENT EXECUTE FUNCTION analytics_commissions_moved();
--> statement-breakpoint
INSERT INTO analytics_commission_days (partner_id, day, currency, kind, level, status, amount, entries)
SELECT c.partner_id, (coalesce(e.occurred_at, c.created_at) AT TIME ZONE 'UTC')::date, c.currency, c.kind, c.level,
  c.status, sum(c.amount), count(*)
FROM commissions c
LEFT JOIN referral_events e ON e.id = coalesce(c.refund_event_id, c.event_id)
WHERE c.kind IN ('earning', 'override', 'reversal')
GROUP BY 1, 2, 3, 4, 5, 6;
--> statement-breakpoint
CREATE TEMPORARY TABLE analytics_backfill ON COMMIT DROP AS
SELECT e.partner_id, e.program_id, e.kind, e.amount, e.occurred_at,
  (e.occurred_at AT TIME ZONE 'UTC')::date AS day, coalesce(e.currency, pr.currency) AS currency
FROM referral_events e JOIN programs pr ON pr.id = e.program_id
WHERE e.attribution_status = 'attributed';
--> statement-breakpoint
INSERT INTO analytics_partner_days (partner_id, day, program_id, currency, clicks, leads, sales, refunds, revenue, refunded)
SELECT partner_id, day, program_id, currency,
  count(*) FILTER (WHERE kind = 'click'), count(*) FILTER (WHERE kind = 'lead'), count(*) FILTER (WHERE kind = 'sale'),
  count(*) FILTER (WHERE kind = 'refund'), coalesce(sum(amount) FILTER (WHERE kind = 'sale'), 0),
  coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)
FROM analytics_backfill GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO analytics_partner_months (partner_id, month, program_id, currency, clicks, leads, sales, refunds, revenue, refunded)
SELECT partner_id, date_trunc('month', day::timestamp)::date, program_id, currency,
  count(*) FILTER (WHERE kind = 'click'), count(*) FILTER (WHERE kind = 'lead'), count(*) FILTER (WHERE kind = 'sale'),
  count(*) FILTER (WHERE kind = 'refund'), coalesce(sum(amount) FILTER (WHERE kind = 'sale'), 0),
  coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)
FROM analytics_backfill GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO analytics_partner_activity (partner_id, first_event_at, last_event_at, first_sale_at)
SELECT partner_id, min(occurred_at), max(occurred_at), min(occurred_at) FILTER (WHERE kind = 'sale')
FROM analytics_backfill WHERE kind <> 'refund' GROUP BY partner_id;
