-- Partner notices (nearly every row) have no user; staff inboxes ask for one user's rows (user_id = $1 implies
-- user_id is not null, so the planner uses the partial index): one index entry fewer per partner notice.
DROP INDEX "notifications_user_idx";--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","created_at","id") WHERE "notifications"."user_id" is not null;