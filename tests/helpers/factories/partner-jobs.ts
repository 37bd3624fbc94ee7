import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { DocumentKind } from '../../../db/schema/compliance.js';
import type { NotificationKind } from '../../../db/schema/notifications.js';
import type { PartnerStatus } from '../../../db/schema/partners.js';
import type { ReferralKind } from '../../../db/schema/referrals.js';
import { programConfiguration, type ProgramConfigurationInput } from '../../../server/domain/programs/configuration.js';

/** Rows for the scheduled-job tests, inserted directly with the times a test's controlled clock needs. */

const unique = () => randomUUID().replaceAll('-', '').slice(0, 12);

/** Long before every test clock, so the first configuration version is in force for all of them. */
const EPOCH = new Date('2020-01-01T00:00:00Z');

export async function createJobProgram(db: Database, name: string, configuration: ProgramConfigurationInput, currency = 'USD'): Promise<string> {
  const [program] = (
    await db.execute<{ id: string }>(sql`insert into programs (name, currency) values (${`${name} ${unique()}`}, ${currency}) returning id`)
  ).rows;
  await db.execute(sql`
    insert into program_versions (program_id, version, configuration, reason, created_by, effective_from)
    values (${program!.id}, 1, ${JSON.stringify(programConfiguration.parse(configuration))}::jsonb, 'test', 'test', ${EPOCH.toISOString()}::timestamptz)`);
  return program!.id;
}

export async function programName(db: Executor, programId: string): Promise<string> {
  const result = await db.execute<{ name: string }>(sql`select name from programs where id = ${programId}`);
  return result.rows[0]!.name;
}

export interface JobPartnerOptions {
  programId?: string | null;
  tier?: string | null;
  status?: PartnerStatus;
  activatedAt?: string | null;
  lastActivityAt?: string | null;
  createdAt?: string;
}

export async function createJobPartner(db: Executor, options: JobPartnerOptions = {}): Promise<string> {
  const code = unique();
  const result = await db.execute<{ id: string }>(sql`
    insert into partners (referral_code, name, email, country, status, program_id, tier, activated_at, last_activity_at, created_at)
    values (${`JOB-${code}`}, ${`Partner ${code}`}, ${`partner-${code}@example.com`}, 'US', ${options.status ?? 'active'},
      ${options.programId ?? null}, ${options.tier ?? null}, ${options.activatedAt === undefined ? '2025-01-15T00:00:00Z' : options.activatedAt}::timestamptz,
      ${options.lastActivityAt ?? null}::timestamptz, ${options.createdAt ?? '2024-12-01T00:00:00Z'}::timestamptz)
    returning id`);
  return result.rows[0]!.id;
}

export interface EventOptions {
  kind: ReferralKind;
  at: string;
  amount?: number;
  currency?: string;
  status?: 'attributed' | 'ineligible';
  /** For a refund: the sale it refunds. */
  refundOf?: number;
}

/** Referral events of one partner, stored as ingestion would have attributed them. Returns their ids. */
export async function insertEvents(db: Executor, partnerId: string, programId: string | null, events: EventOptions[]): Promise<number[]> {
  const ids: number[] = [];
  for (const event of events) {
    const money = event.kind === 'sale' || event.kind === 'refund';
    const result = await db.execute<{ id: number }>(sql`
      insert into referral_events (external_id, kind, partner_id, program_id, amount, currency, occurred_at, attribution_status,
        attribution_method, refund_of_id, refund_of_external_id)
      values (${`evt-${unique()}`}, ${event.kind}, ${partnerId}, ${programId}, ${money ? (event.amount ?? 10_000) : null},
        ${money ? (event.currency ?? 'USD') : null}, ${event.at}::timestamptz, ${event.status ?? 'attributed'},
        ${event.kind === 'refund' ? 'refund_of' : 'declared'}, ${event.refundOf ?? null},
        ${event.kind === 'refund' ? sql`(select external_id from referral_events where id = ${event.refundOf ?? null})` : null})
      returning id`);
    ids.push(result.rows[0]!.id);
  }
  return ids;
}

export async function insertDocument(
  db: Executor,
  partnerId: string,
  options: { kind: DocumentKind; status?: 'pending' | 'approved' | 'rejected'; expiresOn?: string | null },
): Promise<string> {
  const status = options.status ?? 'approved';
  const result = await db.execute<{ id: string }>(sql`
    insert into compliance_documents (partner_id, kind, reference, checksum, expires_on, status, reviewed_by, reviewed_at, submitted_by)
    values (${partnerId}, ${options.kind}, ${`s3://documents/${unique()}`}, encode(sha256(${unique()}::bytea), 'hex'),
      ${options.expiresOn ?? null}::date, ${status}, ${status === 'pending' ? null : 'officer'},
      ${status === 'pending' ? null : '2024-12-01T00:00:00Z'}::timestamptz, 'test')
    returning id`);
  return result.rows[0]!.id;
}

export type SentNotification = {
  kind: NotificationKind;
  channel: string;
  partnerId: string;
  subject: string;
  summary: string;
  bodyText: string;
  dedupeKey: string;
};

/** Notifications to these partners, in a stable order (partner, kind, channel). */
export async function notificationsTo(db: Executor, partnerIds: string[], kinds?: NotificationKind[]): Promise<SentNotification[]> {
  const result = await db.execute<SentNotification>(sql`
    select kind, channel, partner_id as "partnerId", subject, summary, body_text as "bodyText", dedupe_key as "dedupeKey"
    from notifications
    where partner_id = any(${sql.param(partnerIds)}::uuid[])
      ${kinds ? sql`and kind = any(${sql.param(kinds)}::text[])` : sql``}
    order by partner_id, kind, channel, dedupe_key`);
  return result.rows;
}

export async function countRows(db: Executor, table: string): Promise<number> {
  const result = await db.execute<{ count: number }>(sql`select count(*)::int as count from ${sql.identifier(table)}`);
  return result.rows[0]!.count;
}

/** Partners' current status and tier, by id. */
export async function partnerStates(db: Executor, partnerIds: string[]): Promise<Record<string, { status: string; tier: string | null }>> {
  const result = await db.execute<{ id: string; status: string; tier: string | null }>(
    sql`select id, status, tier from partners where id = any(${sql.param(partnerIds)}::uuid[])`,
  );
  return Object.fromEntries(result.rows.map((row) => [row.id, { status: row.status, tier: row.tier }]));
}

/** A timestamptz as raw SQL results give it (a string), as an ISO instant. */
export function iso(value: string | Date | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

/** An active webhook endpoint subscribed to `events`, so the webhook outbox records them. */
export async function subscribeWebhook(db: Executor, events: string[]): Promise<void> {
  await db.execute(sql`
    insert into webhook_endpoints (url, events, secret, created_by)
    values ('https://hooks.example.com/partners', ${sql.param(events)}::text[], 'secret', 'test')`);
}

/** The payloads of queued webhook deliveries of `type` that name one of these partners. */
export async function webhookPayloads(db: Executor, type: string, partnerIds: string[]): Promise<Record<string, unknown>[]> {
  const result = await db.execute<{ data: Record<string, unknown> }>(sql`
    select body::jsonb -> 'data' as data from webhook_deliveries
    where event_type = ${type} and body::jsonb -> 'data' ->> 'partnerId' = any(${sql.param(partnerIds)}::text[])
    order by created_at, id`);
  return result.rows.map((row) => row.data);
}
