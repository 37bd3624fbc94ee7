CREATE TABLE "partner_demotion_pending" (
	"partner_id" uuid PRIMARY KEY NOT NULL,
	"program_id" uuid NOT NULL,
	"tier" text NOT NULL,
	"metric" text NOT NULL,
	"value" bigint NOT NULL,
	"threshold" bigint NOT NULL,
	"period_days" integer NOT NULL,
	"pending_since" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_retention" (
	"partner_id" uuid PRIMARY KEY NOT NULL,
	"program_id" uuid NOT NULL,
	"inactive_since" timestamp with time zone NOT NULL,
	"at_risk_since" timestamp with time zone NOT NULL,
	"churned_since" timestamp with time zone,
	CONSTRAINT "partner_retention_churn_after_risk" CHECK ("partner_retention"."churned_since" is null or "partner_retention"."churned_since" >= "partner_retention"."at_risk_since")
);
--> statement-breakpoint
CREATE TABLE "retention_snapshots" (
	"day" date NOT NULL,
	"program_id" uuid NOT NULL,
	"cohort" date NOT NULL,
	"active" integer NOT NULL,
	"at_risk" integer NOT NULL,
	"churned" integer NOT NULL,
	"suspended" integer NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "retention_snapshots_day_program_id_cohort_pk" PRIMARY KEY("day","program_id","cohort"),
	CONSTRAINT "retention_snapshots_cohort_month" CHECK (extract(day from "retention_snapshots"."cohort") = 1),
	CONSTRAINT "retention_snapshots_counts" CHECK (least("retention_snapshots"."active", "retention_snapshots"."at_risk", "retention_snapshots"."churned", "retention_snapshots"."suspended") >= 0)
);
--> statement-breakpoint
ALTER TABLE "partner_demotion_pending" ADD CONSTRAINT "partner_demotion_pending_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_demotion_pending" ADD CONSTRAINT "partner_demotion_pending_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_retention" ADD CONSTRAINT "partner_retention_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_retention" ADD CONSTRAINT "partner_retention_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retention_snapshots" ADD CONSTRAINT "retention_snapshots_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "partner_demotion_pending_program_idx" ON "partner_demotion_pending" USING btree ("program_id","pending_since");--> statement-breakpoint
CREATE INDEX "partner_retention_program_idx" ON "partner_retention" USING btree ("program_id","at_risk_since");--> statement-breakpoint
CREATE INDEX "retention_snapshots_program_idx" ON "retention_snapshots" USING btree ("program_id","day");