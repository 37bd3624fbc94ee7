-- The tier filter's index moves out of the partner row: with tier in two partner indexes, every tier move was a
-- non-HOT update writing an entry into all fifteen partner indexes (three trigram GIN). partner_tiers carries it,
-- kept by the triggers below; with room left on each partner page, a tier move then updates the row in place (HOT).
CREATE TABLE "partner_tiers" (
	"partner_id" uuid PRIMARY KEY NOT NULL,
	"program_id" uuid,
	"tier" text
);
--> statement-breakpoint
DROP INDEX "partners_program_tier_idx";--> statement-breakpoint
DROP INDEX "partners_tier_idx";--> statement-breakpoint
ALTER TABLE "partner_tiers" ADD CONSTRAINT "partner_tiers_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
INSERT INTO "partner_tiers" ("partner_id", "program_id", "tier") SELECT "id", "program_id", "tier" FROM "partners";--> statement-breakpoint
CREATE INDEX "partner_tiers_tier_program_idx" ON "partner_tiers" USING btree ("tier","program_id","partner_id");--> statement-breakpoint
-- New partners, set-based from the statement's transition table.
CREATE FUNCTION partner_tiers_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO partner_tiers (partner_id, program_id, tier) SELECT id, program_id, tier FROM inserted;
  RETURN NULL;
END $$;--> statement-breakpoint
-- A row trigger guarded by WHEN, so that the many updates of other columns (activity, documents) cost nothing.
CREATE FUNCTION partner_tiers_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE partner_tiers SET program_id = NEW.program_id, tier = NEW.tier WHERE partner_id = NEW.id;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER partner_tiers_insert AFTER INSERT ON partners REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION partner_tiers_insert();--> statement-breakpoint
CREATE TRIGGER partner_tiers_update AFTER UPDATE OF program_id, tier ON partners FOR EACH ROW
  WHEN (OLD.program_id IS DISTINCT FROM NEW.program_id OR OLD.tier IS DISTINCT FROM NEW.tier)
  EXECUTE FUNCTION partner_tiers_update();--> statement-breakpoint
-- Bulk loads (session_replication_role = replica: no foreign-key checks) keep the mirror too.
ALTER TABLE partners ENABLE ALWAYS TRIGGER partner_tiers_insert;--> statement-breakpoint
ALTER TABLE partners ENABLE ALWAYS TRIGGER partner_tiers_update;--> statement-breakpoint
ALTER TABLE "partners" SET (fillfactor = 90);
