CREATE INDEX "notifications_channel_idx" ON "notifications" USING btree ("channel","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_type_idx" ON "webhook_deliveries" USING btree ("event_type","created_at","id");--> statement-breakpoint
CREATE INDEX "support_tickets_due_idx" ON "support_tickets" USING btree ("due_at","id");--> statement-breakpoint
CREATE INDEX "job_runs_failures_idx" ON "job_runs" USING btree ("job_name","started_at") WHERE "job_runs"."error" is not null;