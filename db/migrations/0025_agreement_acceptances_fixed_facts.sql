-- An acceptance records a fact: this partner accepted this version at this time, recorded by someone, then. Those
-- columns never change once written (erasure clears only the IP address and user agent).
-- partners.accepted_agreement_version (0024) follows inserts and deletes of acceptances and relies on this: an
-- acceptance moved to another partner or version would leave both partners' column stale.
CREATE FUNCTION refuse_acceptance_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'agreement acceptance %: its partner, agreement version, acceptance time and recorder are fixed', OLD.id
    USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER agreement_acceptances_fixed_facts BEFORE UPDATE ON agreement_acceptances
  FOR EACH ROW
  WHEN ((OLD.partner_id, OLD.agreement_version_id, OLD.accepted_at, OLD.recorded_by, OLD.created_at)
    IS DISTINCT FROM (NEW.partner_id, NEW.agreement_version_id, NEW.accepted_at, NEW.recorded_by, NEW.created_at))
  EXECUTE FUNCTION refuse_acceptance_rewrite();
