-- compliance.holds lists a partner's holds (open or all) and the open holds of everyone, newest first. The schema's
-- partial index covers only open holds by partner. Kept here rather than in db/schema/partners.ts (another area's
-- file); a later move into the schema must reuse these names.
CREATE INDEX IF NOT EXISTS "partner_holds_partner_created_idx" ON "partner_holds" USING btree ("partner_id", "created_at", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "partner_holds_created_idx" ON "partner_holds" USING btree ("created_at", "id");
