CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	CONSTRAINT "api_keys_scopes_known" CHECK ("api_keys"."scopes" <@ array['ingest']::text[] and cardinality("api_keys"."scopes") > 0)
);
--> statement-breakpoint
CREATE TABLE "referral_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "referral_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"external_id" text NOT NULL,
	"kind" text NOT NULL,
	"partner_ref" text,
	"declared_partner_id" uuid,
	"account_id" uuid,
	"amount" bigint,
	"currency" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"ip" "inet",
	"user_agent" text,
	"visitor_key" text,
	"click_external_id" text,
	"refund_of_external_id" text,
	"refund_of_id" bigint,
	"partner_id" uuid,
	"program_id" uuid,
	"program_version" integer,
	"attribution_status" text NOT NULL,
	"attribution_method" text,
	"attribution_reason" text,
	"attributed_click_id" bigint,
	"api_key_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "referral_events_kind_known" CHECK ("referral_events"."kind" in ('click','lead','sale','refund')),
	CONSTRAINT "referral_events_status_known" CHECK ("referral_events"."attribution_status" in ('attributed','ineligible','unattributed')),
	CONSTRAINT "referral_events_money" CHECK (("referral_events"."kind" in ('sale','refund')) = ("referral_events"."amount" is not null and "referral_events"."currency" is not null)
        and ("referral_events"."amount" is null or "referral_events"."amount" > 0)
        and ("referral_events"."currency" is null or "referral_events"."currency" ~ '^[A-Z]{3}$')),
	CONSTRAINT "referral_events_refund_names_sale" CHECK (("referral_events"."kind" = 'refund') = ("referral_events"."refund_of_external_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "fraud_flag_events" (
	"flag_id" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	CONSTRAINT "fraud_flag_events_flag_id_event_id_pk" PRIMARY KEY("flag_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "fraud_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"program_id" uuid,
	"rule" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"dedupe_key" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"review_note" text,
	CONSTRAINT "fraud_flags_rule_known" CHECK ("fraud_flags"."rule" in ('self_referral','lead_ip_velocity','click_velocity','fast_conversion','refund_rate','shared_payout_fingerprint')),
	CONSTRAINT "fraud_flags_status_known" CHECK ("fraud_flags"."status" in ('open','confirmed','dismissed')),
	CONSTRAINT "fraud_flags_reviewed" CHECK (("fraud_flags"."status" = 'open') = ("fraud_flags"."reviewed_at" is null))
);
--> statement-breakpoint
CREATE TABLE "commissions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "commissions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"partner_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"level" integer,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"event_id" bigint,
	"refund_event_id" bigint,
	"fraud_flag_id" uuid,
	"reverses_id" bigint,
	"program_id" uuid,
	"program_version" integer,
	"tier" text,
	"rate_type" text,
	"rate_value" integer,
	"forgone_amount" bigint,
	"reason" text,
	"hold_until" timestamp with time zone,
	"payout_id" uuid,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_changed_at" timestamp with time zone,
	CONSTRAINT "commissions_kind_known" CHECK ("commissions"."kind" in ('earning','override','reversal','payout','adjustment')),
	CONSTRAINT "commissions_status_known" CHECK ("commissions"."status" in ('pending','approved','paid','reversed','forfeited')),
	CONSTRAINT "commissions_currency_iso" CHECK ("commissions"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "commissions_amount_sign" CHECK (case "commissions"."kind"
        when 'earning' then "commissions"."amount" >= 0
        when 'override' then "commissions"."amount" >= 0
        when 'reversal' then "commissions"."amount" < 0
        when 'payout' then "commissions"."amount" < 0
        else true end),
	CONSTRAINT "commissions_forfeited_is_zero" CHECK (("commissions"."status" = 'forfeited') = ("commissions"."amount" = 0)),
	CONSTRAINT "commissions_reversal_names_entry" CHECK (("commissions"."kind" = 'reversal') = ("commissions"."reverses_id" is not null)),
	CONSTRAINT "commissions_payout_is_paid" CHECK ("commissions"."kind" <> 'payout' or ("commissions"."status" = 'paid' and "commissions"."payout_id" is not null)),
	CONSTRAINT "commissions_levels" CHECK (case "commissions"."kind"
        when 'earning' then "commissions"."level" = 0
        when 'override' then "commissions"."level" >= 1
        when 'reversal' then "commissions"."level" >= 0
        else "commissions"."level" is null end)
);
--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_declared_partner_id_partners_id_fk" FOREIGN KEY ("declared_partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_refund_of_id_referral_events_id_fk" FOREIGN KEY ("refund_of_id") REFERENCES "public"."referral_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_attributed_click_id_referral_events_id_fk" FOREIGN KEY ("attributed_click_id") REFERENCES "public"."referral_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_events" ADD CONSTRAINT "referral_events_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fraud_flag_events" ADD CONSTRAINT "fraud_flag_events_flag_id_fraud_flags_id_fk" FOREIGN KEY ("flag_id") REFERENCES "public"."fraud_flags"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fraud_flag_events" ADD CONSTRAINT "fraud_flag_events_event_id_referral_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."referral_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fraud_flags" ADD CONSTRAINT "fraud_flags_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fraud_flags" ADD CONSTRAINT "fraud_flags_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_event_id_referral_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."referral_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_refund_event_id_referral_events_id_fk" FOREIGN KEY ("refund_event_id") REFERENCES "public"."referral_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_fraud_flag_id_fraud_flags_id_fk" FOREIGN KEY ("fraud_flag_id") REFERENCES "public"."fraud_flags"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_reverses_id_commissions_id_fk" FOREIGN KEY ("reverses_id") REFERENCES "public"."commissions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_created_idx" ON "api_keys" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "referral_events_external_id_key" ON "referral_events" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "referral_events_occurred_idx" ON "referral_events" USING btree ("occurred_at","id");--> statement-breakpoint
CREATE INDEX "referral_events_partner_idx" ON "referral_events" USING btree ("partner_id","kind","occurred_at","id");--> statement-breakpoint
CREATE INDEX "referral_events_kind_idx" ON "referral_events" USING btree ("kind","occurred_at","id");--> statement-breakpoint
CREATE INDEX "referral_events_status_idx" ON "referral_events" USING btree ("attribution_status","occurred_at","id");--> statement-breakpoint
CREATE INDEX "referral_events_visitor_clicks_idx" ON "referral_events" USING btree ("visitor_key","occurred_at") WHERE "referral_events"."kind" = 'click';--> statement-breakpoint
CREATE INDEX "referral_events_ip_leads_idx" ON "referral_events" USING btree ("ip","occurred_at") WHERE "referral_events"."kind" = 'lead';--> statement-breakpoint
CREATE INDEX "referral_events_refund_of_idx" ON "referral_events" USING btree ("refund_of_id") WHERE "referral_events"."refund_of_id" is not null;--> statement-breakpoint
CREATE INDEX "referral_events_account_idx" ON "referral_events" USING btree ("account_id") WHERE "referral_events"."account_id" is not null;--> statement-breakpoint
CREATE INDEX "fraud_flag_events_event_idx" ON "fraud_flag_events" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "fraud_flags_open_dedupe_key" ON "fraud_flags" USING btree ("dedupe_key") WHERE "fraud_flags"."status" = 'open';--> statement-breakpoint
CREATE INDEX "fraud_flags_open_partner_idx" ON "fraud_flags" USING btree ("partner_id") WHERE "fraud_flags"."status" = 'open';--> statement-breakpoint
CREATE INDEX "fraud_flags_created_idx" ON "fraud_flags" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "fraud_flags_partner_idx" ON "fraud_flags" USING btree ("partner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "fraud_flags_status_idx" ON "fraud_flags" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "fraud_flags_rule_idx" ON "fraud_flags" USING btree ("rule","created_at","id");--> statement-breakpoint
CREATE INDEX "commissions_partner_idx" ON "commissions" USING btree ("partner_id","currency","status");--> statement-breakpoint
CREATE INDEX "commissions_partner_list_idx" ON "commissions" USING btree ("partner_id","id");--> statement-breakpoint
CREATE INDEX "commissions_status_idx" ON "commissions" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "commissions_kind_idx" ON "commissions" USING btree ("kind","id");--> statement-breakpoint
CREATE INDEX "commissions_currency_idx" ON "commissions" USING btree ("currency","id");--> statement-breakpoint
CREATE INDEX "commissions_created_idx" ON "commissions" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "commissions_due_idx" ON "commissions" USING btree ("hold_until") WHERE "commissions"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "commissions_event_idx" ON "commissions" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "commissions_reverses_idx" ON "commissions" USING btree ("reverses_id") WHERE "commissions"."reverses_id" is not null;--> statement-breakpoint
CREATE INDEX "commissions_payout_idx" ON "commissions" USING btree ("payout_id") WHERE "commissions"."payout_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "commissions_one_credit_per_level" ON "commissions" USING btree ("event_id","level") WHERE "commissions"."kind" in ('earning','override');--> statement-breakpoint
CREATE UNIQUE INDEX "commissions_one_refund_reversal" ON "commissions" USING btree ("refund_event_id","reverses_id") WHERE "commissions"."refund_event_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "commissions_one_fraud_reversal" ON "commissions" USING btree ("fraud_flag_id","reverses_id") WHERE "commissions"."fraud_flag_id" is not null;