DROP INDEX "partners_program_analytics_idx";--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "documents_valid_until" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- partners.documents_valid_until follows compliance_documents inside the writing transaction, as
-- accepted_agreement_version follows acceptances (0024): statement triggers recompute it, set-based, for the partners
-- whose documents a statement inserted, updated or deleted, and write only the rows whose value changes (a review
-- that rejects a document changes nothing there). Writers are shut out until the backfill commits.
LOCK TABLE compliance_documents IN SHARE MODE;--> statement-breakpoint
-- Per partner and kind, the last day an approved document of that kind is valid: 'infinity' when one never expires,
-- else the latest expiry (a document is valid through its expiry date).
CREATE VIEW partner_documents_valid_until AS
  SELECT partner_id, jsonb_object_agg(kind, valid_until) AS valid_until
  FROM (
    SELECT partner_id, kind,
      CASE WHEN bool_or(expires_on IS NULL) THEN 'infinity'::date ELSE max(expires_on) END AS valid_until
    FROM compliance_documents WHERE status = 'approved'
    GROUP BY partner_id, kind
  ) kinds
  GROUP BY partner_id;--> statement-breakpoint
CREATE FUNCTION partners_documents_refresh(partner_ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE partners p SET documents_valid_until = fresh.valid_until
  FROM (
    SELECT ids.id, coalesce(v.valid_until, '{}'::jsonb) AS valid_until
    FROM (SELECT DISTINCT unnest(partner_ids) AS id) ids
    LEFT JOIN partner_documents_valid_until v ON v.partner_id = ids.id
  ) fresh
  WHERE p.id = fresh.id AND p.documents_valid_until IS DISTINCT FROM fresh.valid_until;
$$;--> statement-breakpoint
CREATE FUNCTION partners_documents_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM partners_documents_refresh(ARRAY(SELECT partner_id FROM changed_rows));
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE FUNCTION partners_documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM partners_documents_refresh(ARRAY(SELECT partner_id FROM old_rows UNION SELECT partner_id FROM new_rows));
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER partners_documents_inserted AFTER INSERT ON compliance_documents
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION partners_documents_written();--> statement-breakpoint
CREATE TRIGGER partners_documents_deleted AFTER DELETE ON compliance_documents
  REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION partners_documents_written();--> statement-breakpoint
CREATE TRIGGER partners_documents_updated AFTER UPDATE ON compliance_documents
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION partners_documents_updated();--> statement-breakpoint
UPDATE partners p SET documents_valid_until = v.valid_until
FROM partner_documents_valid_until v WHERE v.partner_id = p.id;--> statement-breakpoint
CREATE INDEX "partners_program_analytics_idx" ON "partners" USING btree ("program_id","activated_at","id","status","erased_at","accepted_agreement_version","created_at","documents_valid_until");
