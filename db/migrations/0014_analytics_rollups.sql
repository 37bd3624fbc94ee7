CREATE TABLE "analytics_commission_days" (
	"partner_id" uuid NOT NULL,
	"day" date NOT NULL,
	"currency" text NOT NULL,
	"kind" text NOT NULL,
	"level" integer NOT NULL,
	"status" text NOT NULL,
	"amount" bigint DEFAULT 0 NOT NULL,
	"entries" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_commission_days_partner_id_day_currency_kind_level_status_pk" PRIMARY KEY("partner_id","day","currency","kind","level","status")
);
--> statement-breakpoint
CREATE TABLE "analytics_partner_activity" (
	"partner_id" uuid PRIMARY KEY NOT NULL,
	"first_event_at" timestamp with time zone,
	"last_event_at" timestamp with time zone,
	"first_sale_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "analytics_partner_days" (
	"partner_id" uuid NOT NULL,
	"day" date NOT NULL,
	"program_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"sales" integer DEFAULT 0 NOT NULL,
	"refunds" integer DEFAULT 0 NOT NULL,
	"revenue" bigint DEFAULT 0 NOT NULL,
	"refunded" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_partner_days_partner_id_day_program_id_currency_pk" PRIMARY KEY("partner_id","day","program_id","currency"),
	CONSTRAINT "analytics_partner_days_counts" CHECK (least("analytics_partner_days"."clicks", "analytics_partner_days"."leads", "analytics_partner_days"."sales", "analytics_partner_days"."refunds") >= 0)
);
--> statement-breakpoint
CREATE TABLE "analytics_partner_months" (
	"partner_id" uuid NOT NULL,
	"month" date NOT NULL,
	"program_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"sales" integer DEFAULT 0 NOT NULL,
	"refunds" integer DEFAULT 0 NOT NULL,
	"revenue" bigint DEFAULT 0 NOT NULL,
	"refunded" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_partner_months_partner_id_month_program_id_currency_pk" PRIMARY KEY("partner_id","month","program_id","currency"),
	CONSTRAINT "analytics_partner_months_first_day" CHECK (extract(day from "analytics_partner_months"."month") = 1)
);
--> statement-breakpoint
CREATE INDEX "analytics_partner_days_program_idx" ON "analytics_partner_days" USING btree ("program_id","day");--> statement-breakpoint
CREATE INDEX "analytics_partner_months_program_idx" ON "analytics_partner_months" USING btree ("program_id","month");