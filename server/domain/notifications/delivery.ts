import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { backoffSeconds, DELIVERY_LEASE_SECONDS, mapLimited, type RetryPolicy } from '../communications/retry.js';
import type { EmailSender } from './email.js';

export interface NotificationDeliveryOptions {
  retry: RetryPolicy;
  batchSize?: number;
  concurrency?: number;
  /** Upper bound of batches per run, so one run ends even while new mail keeps arriving. */
  maxBatches?: number;
}

type Claimed = {
  id: string;
  subject: string;
  body_text: string;
  body_html: string;
  attempts: number;
  address: string | null;
};

interface Outcome {
  id: string;
  ok: boolean;
  /** No retry can help (e.g. the recipient has no address any more). */
  permanent: boolean;
  error: string | null;
  retry_seconds: number;
}

export interface DeliveryCounts {
  [key: string]: number;
  claimed: number;
  sent: number;
  retrying: number;
  dead: number;
}

/**
 * Claims due emails with FOR UPDATE SKIP LOCKED and, in the same statement, leases them (next attempt moves past
 * the lease) and counts the attempt; that commits before anything is sent, so a second worker never picks up a
 * message this one is sending. A worker that dies mid-send leaves its messages to be retried after the lease.
 */
async function claimDue(db: Database, now: Date, limit: number): Promise<Claimed[]> {
  const result = await db.execute<Claimed>(sql`
    with due as (
      select id from notifications
      where channel = 'email' and state in ('pending', 'failed') and next_attempt_at <= ${now}::timestamptz
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    update notifications n
    set attempts = n.attempts + 1,
        next_attempt_at = ${now}::timestamptz + make_interval(secs => ${DELIVERY_LEASE_SECONDS})
    from due
    where n.id = due.id
    returning n.id, n.subject, n.body_text, n.body_html, n.attempts,
      coalesce(
        (select p.email from partners p where p.id = n.partner_id and p.erased_at is null),
        (select u.email from users u where u.id = n.user_id and u.active)
      ) as address`);
  return result.rows;
}

async function recordOutcomes(db: Database, now: Date, maxAttempts: number, outcomes: Outcome[]): Promise<DeliveryCounts> {
  const result = await db.execute<{ state: string }>(sql`
    update notifications n
    set state = case when r.ok then 'sent' when r.permanent or n.attempts >= ${maxAttempts} then 'dead' else 'failed' end,
        sent_at = case when r.ok then ${now}::timestamptz else n.sent_at end,
        last_error = r.error,
        next_attempt_at = case when r.ok then n.next_attempt_at else ${now}::timestamptz + make_interval(secs => r.retry_seconds) end
    from jsonb_to_recordset(${JSON.stringify(outcomes)}::jsonb)
      as r(id uuid, ok boolean, permanent boolean, error text, retry_seconds int)
    where n.id = r.id
    returning n.state`);
  const count = (state: string) => result.rows.filter((row) => row.state === state).length;
  return { claimed: outcomes.length, sent: count('sent'), retrying: count('failed'), dead: count('dead') };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

/** Sends every due email once: claim a batch, send, record outcomes with backoff; repeat while batches come back full. */
export async function deliverDueNotifications(
  db: Database,
  send: EmailSender,
  options: NotificationDeliveryOptions,
  now: Date = new Date(),
): Promise<DeliveryCounts> {
  const batchSize = options.batchSize ?? 100;
  const totals: DeliveryCounts = { claimed: 0, sent: 0, retrying: 0, dead: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const claimed = await claimDue(db, now, batchSize);
    if (claimed.length === 0) break;
    const outcomes = await mapLimited(claimed, options.concurrency ?? 5, async (row): Promise<Outcome> => {
      const retrySeconds = backoffSeconds(options.retry, row.attempts);
      if (!row.address) {
        return { id: row.id, ok: false, permanent: true, error: 'the recipient has no email address', retry_seconds: retrySeconds };
      }
      try {
        await send({ notificationId: row.id, to: row.address, subject: row.subject, text: row.body_text, html: row.body_html });
        return { id: row.id, ok: true, permanent: false, error: null, retry_seconds: 0 };
      } catch (error) {
        return { id: row.id, ok: false, permanent: false, error: describe(error), retry_seconds: retrySeconds };
      }
    });
    const counts = await recordOutcomes(db, now, options.retry.maxAttempts, outcomes);
    for (const key of ['claimed', 'sent', 'retrying', 'dead'] as const) totals[key] += counts[key];
    if (claimed.length < batchSize) break;
  }
  return totals;
}
