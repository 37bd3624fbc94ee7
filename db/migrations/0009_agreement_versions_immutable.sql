-- Published terms are immutable: an acceptance points at the exact text the partner accepted. A correction is a new
-- version. (Acceptances themselves are not frozen: erasure must be able to clear their IP address and user agent.)
CREATE TRIGGER agreement_versions_immutable BEFORE UPDATE OR DELETE ON agreement_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
--> statement-breakpoint
CREATE TRIGGER agreement_versions_no_truncate BEFORE TRUNCATE ON agreement_versions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
