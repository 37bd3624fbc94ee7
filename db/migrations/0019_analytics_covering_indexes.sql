DROP INDEX "analytics_partner_days_program_idx";--> statement-breakpoint
DROP INDEX "analytics_partner_months_program_idx";--> statement-breakpoint
CREATE INDEX "analytics_partner_days_program_rows_idx" ON "analytics_partner_days" USING btree ("program_id","day","partner_id","currency","clicks","leads","sales","refunds","revenue","refunded");--> statement-breakpoint
CREATE INDEX "analytics_partner_months_program_rows_idx" ON "analytics_partner_months" USING btree ("program_id","month","partner_id","currency","clicks","leads","sales","refunds","revenue","refunded");