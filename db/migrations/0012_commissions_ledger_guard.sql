-- The commissions ledger is append-only: an entry's money facts never change and no entry is removed. The only
-- update allowed is a status move along pending → approved → paid, pending|approved → reversed (plus the payout
-- reference and the time of the move); corrections are new entries (reversal, adjustment).
CREATE FUNCTION guard_commission_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'commissions is an append-only ledger: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW.id, NEW.partner_id, NEW.kind, NEW.level, NEW.amount, NEW.currency, NEW.event_id, NEW.refund_event_id,
      NEW.fraud_flag_id, NEW.reverses_id, NEW.program_id, NEW.program_version, NEW.tier, NEW.rate_type, NEW.rate_value,
      NEW.forgone_amount, NEW.reason, NEW.hold_until, NEW.created_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.id, OLD.partner_id, OLD.kind, OLD.level, OLD.amount, OLD.currency, OLD.event_id, OLD.refund_event_id,
      OLD.fraud_flag_id, OLD.reverses_id, OLD.program_id, OLD.program_version, OLD.tier, OLD.rate_type, OLD.rate_value,
      OLD.forgone_amount, OLD.reason, OLD.hold_until, OLD.created_by, OLD.created_at) THEN
    RAISE EXCEPTION 'commission %: only the status of a ledger entry may change', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.payout_id IS DISTINCT FROM OLD.payout_id AND NOT (OLD.payout_id IS NULL AND NEW.status = 'paid') THEN
    RAISE EXCEPTION 'commission %: the payout is set once, when the entry becomes paid', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND (OLD.status, NEW.status) NOT IN (
      ('pending', 'approved'), ('pending', 'reversed'), ('approved', 'paid'), ('approved', 'reversed')) THEN
    RAISE EXCEPTION 'commission % is %; it cannot become %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER commissions_append_only BEFORE UPDATE OR DELETE ON commissions
  FOR EACH ROW EXECUTE FUNCTION guard_commission_change();
--> statement-breakpoint
CREATE TRIGGER commissions_no_truncate BEFORE TRUNCATE ON commissions
  FOR EACH STATEMENT EXECUTE FUNCTION guard_commission_change();
