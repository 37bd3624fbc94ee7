CREATE TABLE "program_versions" (
	"program_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"configuration" jsonb NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"effective_from" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "program_versions_program_id_version_pk" PRIMARY KEY("program_id","version")
);
--> statement-breakpoint
CREATE TABLE "programs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"currency" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_at" timestamp with time zone,
	CONSTRAINT "programs_currency_iso" CHECK ("programs"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "programs_status_known" CHECK ("programs"."status" in ('active','archived'))
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"external_ref" text,
	"email_domain" text,
	"parent_account_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_not_own_parent" CHECK ("accounts"."parent_account_id" is distinct from "accounts"."id")
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"role" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"address" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrollments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"tier" text NOT NULL,
	"agreement_version_id" uuid NOT NULL,
	"enrolled_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "partner_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"linked_by" text NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_by" text
);
--> statement-breakpoint
CREATE TABLE "partner_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reason" text NOT NULL,
	"source" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	"released_by" text
);
--> statement-breakpoint
CREATE TABLE "partner_payout_details" (
	"partner_id" uuid PRIMARY KEY NOT NULL,
	"method" text NOT NULL,
	"details" jsonb NOT NULL,
	"tax_form" text NOT NULL,
	"tax_id" text,
	"tax_country" text NOT NULL,
	"fingerprint" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_status_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "partner_status_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"partner_id" uuid NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"reason_code" text,
	"note" text,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_tier_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "partner_tier_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"partner_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"from_tier" text,
	"to_tier" text NOT NULL,
	"reason_code" text NOT NULL,
	"note" text,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_tree" (
	"ancestor_id" uuid NOT NULL,
	"descendant_id" uuid NOT NULL,
	"depth" integer NOT NULL,
	CONSTRAINT "partner_tree_ancestor_id_depth_descendant_id_pk" PRIMARY KEY("ancestor_id","depth","descendant_id"),
	CONSTRAINT "partner_tree_depth_non_negative" CHECK ("partner_tree"."depth" >= 0)
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"referral_code" text NOT NULL,
	"status" text DEFAULT 'applied' NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text,
	"company" text,
	"website" text,
	"country" text NOT NULL,
	"promotional_methods" text[] DEFAULT '{}'::text[] NOT NULL,
	"program_id" uuid,
	"tier" text,
	"parent_id" uuid,
	"manager_id" uuid,
	"verified_at" timestamp with time zone,
	"enrolled_at" timestamp with time zone,
	"setup_completed_at" timestamp with time zone,
	"training_completed_at" timestamp with time zone,
	"activated_at" timestamp with time zone,
	"last_activity_at" timestamp with time zone,
	"erased_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "partners_status_known" CHECK ("partners"."status" in ('applied','verified','enrolled','setup_complete','trained','active','suspended','rejected','terminated')),
	CONSTRAINT "partners_not_own_parent" CHECK ("partners"."parent_id" is distinct from "partners"."id"),
	CONSTRAINT "partners_country_iso" CHECK ("partners"."country" ~ '^[A-Z]{2}$')
);
--> statement-breakpoint
CREATE TABLE "agreement_acceptances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"agreement_version_id" uuid NOT NULL,
	"accepted_at" timestamp with time zone NOT NULL,
	"ip_address" "inet",
	"user_agent" text,
	"recorded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agreement_acceptances_once" UNIQUE("partner_id","agreement_version_id")
);
--> statement-breakpoint
CREATE TABLE "agreement_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" integer NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"content_hash" text NOT NULL,
	"requires_reacceptance" boolean DEFAULT true NOT NULL,
	"published_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agreement_versions_version_unique" UNIQUE("version"),
	CONSTRAINT "agreement_versions_positive" CHECK ("agreement_versions"."version" > 0)
);
--> statement-breakpoint
CREATE TABLE "compliance_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reference" text NOT NULL,
	"checksum" text NOT NULL,
	"issued_on" date,
	"expires_on" date,
	"status" text DEFAULT 'pending' NOT NULL,
	"review_reason" text,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"submitted_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compliance_documents_kind_known" CHECK ("compliance_documents"."kind" in ('w9','w8ben','identity','business_registration','other')),
	CONSTRAINT "compliance_documents_status_known" CHECK ("compliance_documents"."status" in ('pending','approved','rejected')),
	CONSTRAINT "compliance_documents_dates" CHECK ("compliance_documents"."expires_on" is null or "compliance_documents"."issued_on" is null or "compliance_documents"."expires_on" > "compliance_documents"."issued_on")
);
--> statement-breakpoint
ALTER TABLE "program_versions" ADD CONSTRAINT "program_versions_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_parent_account_id_accounts_id_fk" FOREIGN KEY ("parent_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_accounts" ADD CONSTRAINT "partner_accounts_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_accounts" ADD CONSTRAINT "partner_accounts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_holds" ADD CONSTRAINT "partner_holds_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_payout_details" ADD CONSTRAINT "partner_payout_details_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_status_history" ADD CONSTRAINT "partner_status_history_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_tier_history" ADD CONSTRAINT "partner_tier_history_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_tier_history" ADD CONSTRAINT "partner_tier_history_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_tree" ADD CONSTRAINT "partner_tree_ancestor_id_partners_id_fk" FOREIGN KEY ("ancestor_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_tree" ADD CONSTRAINT "partner_tree_descendant_id_partners_id_fk" FOREIGN KEY ("descendant_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partners" ADD CONSTRAINT "partners_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partners" ADD CONSTRAINT "partners_parent_id_partners_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partners" ADD CONSTRAINT "partners_manager_id_users_id_fk" FOREIGN KEY ("manager_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_acceptances" ADD CONSTRAINT "agreement_acceptances_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreement_acceptances" ADD CONSTRAINT "agreement_acceptances_agreement_version_id_agreement_versions_id_fk" FOREIGN KEY ("agreement_version_id") REFERENCES "public"."agreement_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_documents" ADD CONSTRAINT "compliance_documents_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "program_versions_effective_idx" ON "program_versions" USING btree ("program_id","effective_from");--> statement-breakpoint
CREATE UNIQUE INDEX "programs_name_key" ON "programs" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_external_ref_key" ON "accounts" USING btree ("external_ref");--> statement-breakpoint
CREATE INDEX "accounts_parent_idx" ON "accounts" USING btree ("parent_account_id");--> statement-breakpoint
CREATE INDEX "contacts_partner_idx" ON "contacts" USING btree ("partner_id","role");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_one_open" ON "enrollments" USING btree ("partner_id") WHERE "enrollments"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "enrollments_program_idx" ON "enrollments" USING btree ("program_id","tier");--> statement-breakpoint
CREATE INDEX "partner_accounts_partner_idx" ON "partner_accounts" USING btree ("partner_id") WHERE "partner_accounts"."ended_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "partner_accounts_one_referrer" ON "partner_accounts" USING btree ("account_id") WHERE "partner_accounts"."role" = 'referrer' and "partner_accounts"."ended_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "partner_accounts_open_link" ON "partner_accounts" USING btree ("partner_id","account_id","role") WHERE "partner_accounts"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "partner_holds_open_idx" ON "partner_holds" USING btree ("partner_id") WHERE "partner_holds"."released_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "partner_holds_open_source_key" ON "partner_holds" USING btree ("partner_id","kind","source") WHERE "partner_holds"."released_at" is null;--> statement-breakpoint
CREATE INDEX "partner_payout_details_fingerprint_idx" ON "partner_payout_details" USING btree ("fingerprint");--> statement-breakpoint
CREATE INDEX "partner_status_history_partner_idx" ON "partner_status_history" USING btree ("partner_id","id");--> statement-breakpoint
CREATE INDEX "partner_tier_history_partner_idx" ON "partner_tier_history" USING btree ("partner_id","id");--> statement-breakpoint
CREATE INDEX "partner_tree_descendant_idx" ON "partner_tree" USING btree ("descendant_id","depth");--> statement-breakpoint
CREATE UNIQUE INDEX "partners_email_key" ON "partners" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "partners_referral_code_key" ON "partners" USING btree ("referral_code");--> statement-breakpoint
CREATE INDEX "partners_status_idx" ON "partners" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "partners_program_tier_idx" ON "partners" USING btree ("program_id","tier","created_at","id");--> statement-breakpoint
CREATE INDEX "partners_manager_idx" ON "partners" USING btree ("manager_id","created_at","id");--> statement-breakpoint
CREATE INDEX "partners_parent_idx" ON "partners" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "partners_created_idx" ON "partners" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "agreement_acceptances_version_idx" ON "agreement_acceptances" USING btree ("agreement_version_id");--> statement-breakpoint
CREATE INDEX "compliance_documents_partner_idx" ON "compliance_documents" USING btree ("partner_id","kind","status");--> statement-breakpoint
CREATE INDEX "compliance_documents_status_idx" ON "compliance_documents" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "compliance_documents_expiry_idx" ON "compliance_documents" USING btree ("expires_on") WHERE "compliance_documents"."status" = 'approved';