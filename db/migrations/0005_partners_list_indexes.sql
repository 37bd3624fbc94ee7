CREATE INDEX "partners_tier_idx" ON "partners" USING btree ("tier","created_at","id");--> statement-breakpoint
CREATE INDEX "partners_name_idx" ON "partners" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "partners_name_trgm_idx" ON "partners" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "partners_email_trgm_idx" ON "partners" USING gin ("email" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "partners_company_trgm_idx" ON "partners" USING gin ("company" gin_trgm_ops);