DROP INDEX "analytics_partner_months_program_rows_idx";--> statement-breakpoint
ALTER TABLE "analytics_partner_months" ADD COLUMN "active_days" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Months already rolled up get their active days from the day rollup, which holds every day they summed.
UPDATE "analytics_partner_months" m SET "active_days" = d.bits
FROM (
  SELECT partner_id, date_trunc('month', day::timestamp)::date AS month, program_id, currency,
    bit_or(1 << (extract(day FROM day)::int - 1)) AS bits
  FROM "analytics_partner_days" WHERE clicks + leads + sales > 0 GROUP BY 1, 2, 3, 4
) d
WHERE m.partner_id = d.partner_id AND m.month = d.month AND m.program_id = d.program_id AND m.currency = d.currency;--> statement-breakpoint
CREATE INDEX "partners_program_activation_idx" ON "partners" USING btree ("program_id","activated_at","id","status","erased_at");--> statement-breakpoint
CREATE INDEX "analytics_partner_months_program_rows_idx" ON "analytics_partner_months" USING btree ("program_id","month","partner_id","currency","clicks","leads","sales","refunds","revenue","refunded","active_days");