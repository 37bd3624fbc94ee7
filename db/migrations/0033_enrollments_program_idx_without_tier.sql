-- No query filters enrollments by tier: with tier in an index, every tier move was a non-HOT update writing to
-- all three indexes. Without it, and with room left on each page, a tier move can update the row in place (HOT).
DROP INDEX "enrollments_program_idx";--> statement-breakpoint
CREATE INDEX "enrollments_program_idx" ON "enrollments" USING btree ("program_id");--> statement-breakpoint
ALTER TABLE "enrollments" SET (fillfactor = 90);
