DROP INDEX "partners_program_activation_idx";--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "accepted_agreement_version" integer;--> statement-breakpoint
-- partners.accepted_agreement_version follows agreement_acceptances inside the writing transaction: statement
-- triggers (set-based, whatever the row count) recompute it for the partners whose acceptances a statement inserted
-- or deleted. Agreement versions are immutable, so a version's number never moves. Writers are shut out until the
-- backfill commits.
LOCK TABLE agreement_acceptances IN SHARE MODE;--> statement-breakpoint
CREATE VIEW partner_accepted_agreement_versions AS
  SELECT a.partner_id, max(v.version) AS version
  FROM agreement_acceptances a JOIN agreement_versions v ON v.id = a.agreement_version_id
  GROUP BY a.partner_id;--> statement-breakpoint
CREATE FUNCTION partners_acceptances_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE partners p
  SET accepted_agreement_version = (SELECT version FROM partner_accepted_agreement_versions pv WHERE pv.partner_id = p.id)
  WHERE p.id IN (SELECT partner_id FROM changed_rows);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER partners_acceptances_inserted AFTER INSERT ON agreement_acceptances
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION partners_acceptances_changed();--> statement-breakpoint
CREATE TRIGGER partners_acceptances_deleted AFTER DELETE ON agreement_acceptances
  REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION partners_acceptances_changed();--> statement-breakpoint
UPDATE partners p SET accepted_agreement_version = pv.version
FROM partner_accepted_agreement_versions pv WHERE pv.partner_id = p.id;--> statement-breakpoint
CREATE INDEX "partners_program_analytics_idx" ON "partners" USING btree ("program_id","activated_at","id","status","erased_at","accepted_agreement_version");