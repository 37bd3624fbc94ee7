CREATE TABLE "payout_batch_skips" (
	"batch_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"currency" text,
	"amount" bigint NOT NULL,
	"minimum" bigint,
	"reasons" text[] NOT NULL,
	CONSTRAINT "payout_batch_skips_key" UNIQUE NULLS NOT DISTINCT("batch_id","partner_id","currency")
);
--> statement-breakpoint
CREATE TABLE "payout_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"filters" jsonb NOT NULL,
	"note" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"submitted_by" text,
	"submitted_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"cancelled_by" text,
	"cancelled_at" timestamp with time zone,
	"cancel_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payout_batches_status_known" CHECK ("payout_batches"."status" in ('draft','approved','submitted','completed','cancelled')),
	CONSTRAINT "payout_batches_four_eyes" CHECK ("payout_batches"."approved_by" is null or "payout_batches"."approved_by" <> "payout_batches"."created_by")
);
--> statement-breakpoint
CREATE TABLE "payout_items" (
	"payout_id" uuid NOT NULL,
	"commission_id" bigint NOT NULL,
	"amount" bigint NOT NULL,
	"released_at" timestamp with time zone,
	"release_reason" text,
	CONSTRAINT "payout_items_payout_id_commission_id_pk" PRIMARY KEY("payout_id","commission_id"),
	CONSTRAINT "payout_items_release_reason" CHECK (("payout_items"."released_at" is null) = ("payout_items"."release_reason" is null))
);
--> statement-breakpoint
CREATE TABLE "payouts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"batch_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"processor_payment_id" text,
	"processor_batch_id" text,
	"failure_code" text,
	"failure_message" text,
	"paid_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payouts_status_known" CHECK ("payouts"."status" in ('pending','submitting','processing','paid','failed','unconfirmed','cancelled')),
	CONSTRAINT "payouts_currency_iso" CHECK ("payouts"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "payouts_amount_positive" CHECK ("payouts"."amount" > 0 or "payouts"."status" = 'cancelled'),
	CONSTRAINT "payouts_paid_at" CHECK (("payouts"."status" = 'paid') = ("payouts"."paid_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "payout_batch_skips" ADD CONSTRAINT "payout_batch_skips_batch_id_payout_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."payout_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_batch_skips" ADD CONSTRAINT "payout_batch_skips_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_items" ADD CONSTRAINT "payout_items_payout_id_payouts_id_fk" FOREIGN KEY ("payout_id") REFERENCES "public"."payouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_items" ADD CONSTRAINT "payout_items_commission_id_commissions_id_fk" FOREIGN KEY ("commission_id") REFERENCES "public"."commissions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_batch_id_payout_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."payout_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payout_batches_created_idx" ON "payout_batches" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "payout_batches_status_idx" ON "payout_batches" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payout_items_reserved_once" ON "payout_items" USING btree ("commission_id") WHERE "payout_items"."released_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "payouts_batch_partner_currency_key" ON "payouts" USING btree ("batch_id","partner_id","currency");--> statement-breakpoint
CREATE INDEX "payouts_batch_status_idx" ON "payouts" USING btree ("batch_id","status");--> statement-breakpoint
CREATE INDEX "payouts_partner_idx" ON "payouts" USING btree ("partner_id","created_at");