CREATE TABLE "analytics_partner_years" (
	"program_id" uuid NOT NULL,
	"year" date NOT NULL,
	"partner_id" uuid NOT NULL,
	"active_months" integer NOT NULL,
	"last_active_day" date NOT NULL,
	CONSTRAINT "analytics_partner_years_program_id_year_partner_id_pk" PRIMARY KEY("program_id","year","partner_id"),
	CONSTRAINT "analytics_partner_years_first_day" CHECK (extract(doy from "analytics_partner_years"."year") = 1)
);
--> statement-breakpoint
-- Years already rolled up come from the month rollup: a month with an active day sets its bit, and the year's last
-- active day is the highest active-day bit (bit d - 1 is day d) of its last such month.
INSERT INTO "analytics_partner_years" ("program_id", "year", "partner_id", "active_months", "last_active_day")
SELECT program_id, date_trunc('year', month::timestamp)::date, partner_id,
  bit_or(1 << (extract(month FROM month)::int - 1)),
  max(month + (32 - position('1' IN active_days::bit(32)::text)))
FROM "analytics_partner_months" WHERE active_days <> 0
GROUP BY 1, 2, 3;--> statement-breakpoint
CREATE INDEX "analytics_partner_years_program_rows_idx" ON "analytics_partner_years" USING btree ("program_id","year","partner_id","active_months","last_active_day");