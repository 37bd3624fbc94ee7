-- Program configuration versions are immutable: commissions already computed with a version must stay explainable,
-- so a change is always a new version. Reuses the append-only trigger function of migration 0001.
CREATE TRIGGER program_versions_immutable BEFORE UPDATE OR DELETE ON program_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER program_versions_no_truncate BEFORE TRUNCATE ON program_versions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
