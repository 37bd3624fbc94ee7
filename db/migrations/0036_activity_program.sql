-- programHealth's first conversions joined the whole activity table with the program's partners (~250 ms for a
-- 218k-partner program). The partner's current program and sign-up time, copied here, make them one index range
-- (~20 ms). The rollup writers copy them from the partner row when they create a partner's row; the trigger below
-- follows later changes.
ALTER TABLE "analytics_partner_activity" ADD COLUMN "program_id" uuid;--> statement-breakpoint
ALTER TABLE "analytics_partner_activity" ADD COLUMN "partner_created_at" timestamp with time zone;--> statement-breakpoint
UPDATE "analytics_partner_activity" a SET "program_id" = p."program_id", "partner_created_at" = p."created_at"
  FROM "partners" p WHERE p."id" = a."partner_id";--> statement-breakpoint
-- Activity of a partner row that no longer exists has no program and nothing to measure from.
DELETE FROM "analytics_partner_activity" WHERE "partner_created_at" IS NULL;--> statement-breakpoint
ALTER TABLE "analytics_partner_activity" ALTER COLUMN "partner_created_at" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "analytics_partner_activity_first_sale_idx" ON "analytics_partner_activity" USING btree ("program_id","first_sale_at","partner_created_at");--> statement-breakpoint
-- Guarded by WHEN, so that the many updates of other partner columns cost nothing. An upsert, not an update: when a
-- transaction applying referral effects is creating the partner's row right now, the upsert waits for it and then
-- updates that row (an update would not see it and leave the old program there). A partner without activity gets a
-- row without times, which no reader counts.
CREATE FUNCTION analytics_activity_follow_partner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_partner_activity (partner_id, program_id, partner_created_at)
  VALUES (NEW.id, NEW.program_id, NEW.created_at)
  ON CONFLICT (partner_id) DO UPDATE SET program_id = excluded.program_id, partner_created_at = excluded.partner_created_at;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER analytics_activity_follow_partner AFTER UPDATE OF program_id, created_at ON partners FOR EACH ROW
  WHEN (OLD.program_id IS DISTINCT FROM NEW.program_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION analytics_activity_follow_partner();--> statement-breakpoint
-- Bulk loads (session_replication_role = replica) keep the copy too.
ALTER TABLE partners ENABLE ALWAYS TRIGGER analytics_activity_follow_partner;
