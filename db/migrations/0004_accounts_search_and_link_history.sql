CREATE INDEX "accounts_name_trgm_idx" ON "accounts" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "partner_accounts_partner_history_idx" ON "partner_accounts" USING btree ("partner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "partner_accounts_account_history_idx" ON "partner_accounts" USING btree ("account_id","created_at","id");