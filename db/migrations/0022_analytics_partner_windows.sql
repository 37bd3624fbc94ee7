CREATE TABLE "analytics_partner_windows" (
	"days" integer NOT NULL,
	"program_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"sales" integer DEFAULT 0 NOT NULL,
	"refunds" integer DEFAULT 0 NOT NULL,
	"revenue" bigint DEFAULT 0 NOT NULL,
	"refunded" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_partner_windows_days_program_id_partner_id_currency_pk" PRIMARY KEY("days","program_id","partner_id","currency")
);
--> statement-breakpoint
CREATE TABLE "analytics_window_state" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"as_of" date NOT NULL,
	CONSTRAINT "analytics_window_state_one_row" CHECK ("analytics_window_state"."singleton")
);
--> statement-breakpoint
CREATE INDEX "analytics_partner_windows_revenue_idx" ON "analytics_partner_windows" USING btree ("days","program_id","partner_id","revenue") WHERE "analytics_partner_windows"."revenue" > 0;