DROP INDEX "compliance_documents_status_idx";--> statement-breakpoint
DROP INDEX "compliance_documents_expiry_idx";--> statement-breakpoint
CREATE INDEX "programs_status_name_idx" ON "programs" USING btree ("status",lower("name"),"id");--> statement-breakpoint
CREATE INDEX "compliance_documents_kind_idx" ON "compliance_documents" USING btree ("kind","created_at","id");--> statement-breakpoint
CREATE INDEX "compliance_documents_submitted_idx" ON "compliance_documents" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_documents_pending_once" ON "compliance_documents" USING btree ("partner_id","kind","checksum") WHERE "compliance_documents"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "compliance_documents_status_idx" ON "compliance_documents" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "compliance_documents_expiry_idx" ON "compliance_documents" USING btree ("expires_on") WHERE "compliance_documents"."expires_on" is not null;--> statement-breakpoint
ALTER TABLE "program_versions" ADD CONSTRAINT "program_versions_version_positive" CHECK ("program_versions"."version" > 0);--> statement-breakpoint
ALTER TABLE "compliance_documents" ADD CONSTRAINT "compliance_documents_checksum_sha256" CHECK ("compliance_documents"."checksum" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "compliance_documents" ADD CONSTRAINT "compliance_documents_review_recorded" CHECK (("compliance_documents"."status" = 'pending') = ("compliance_documents"."reviewed_at" is null));