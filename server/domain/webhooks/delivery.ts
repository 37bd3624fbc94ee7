import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { recordActivity } from '../audit/record.js';
import { backoffSeconds, DELIVERY_LEASE_SECONDS, mapLimited, type RetryPolicy } from '../communications/retry.js';
import { systemActor } from '../jobs/system-actor.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import type { WebhookPoster } from './http.js';
import { SIGNATURE_HEADER, signWebhookBody } from './signature.js';

export interface WebhookDeliveryOptions {
  retry: RetryPolicy;
  /** Consecutive failed attempts after which an endpoint is disabled and its owner notified. */
  disableAfterFailures: number;
  batchSize?: number;
  concurrency?: number;
  maxBatches?: number;
}

type Claimed = {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
  attempts: number;
  url: string;
  secret: string;
};

interface Outcome {
  id: string;
  endpointId: string;
  ok: boolean;
  status: number | null;
  error: string | null;
  retrySeconds: number;
  /** Order in which attempts finished, to know which failures came after an endpoint's last success. */
  finished: number;
}

export interface WebhookDeliveryCounts {
  [key: string]: number;
  claimed: number;
  sent: number;
  retrying: number;
  dead: number;
  endpointsDisabled: number;
}

const JOB_NAME = 'webhook-delivery';

/** Same lease-on-claim as email delivery (see notifications/delivery.ts): two workers never send one delivery twice. */
async function claimDue(db: Database, now: Date, limit: number): Promise<Claimed[]> {
  const result = await db.execute<Claimed>(sql`
    with due as (
      select d.id from webhook_deliveries d
      join webhook_endpoints e on e.id = d.endpoint_id
      where d.state in ('pending', 'failed') and d.next_attempt_at <= ${now}::timestamptz
        and e.status = 'active' and e.deleted_at is null
      order by d.next_attempt_at
      limit ${limit}
      for update of d skip locked
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1,
        next_attempt_at = ${now}::timestamptz + make_interval(secs => ${DELIVERY_LEASE_SECONDS})
    from due, webhook_endpoints e
    where d.id = due.id and e.id = d.endpoint_id
    returning d.id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempts, e.url, e.secret`);
  return result.rows;
}

/** Per endpoint: did any attempt succeed, and how many failed after the last success (or at all, if none did). */
function endpointTallies(outcomes: Outcome[]) {
  const tallies = new Map<string, { endpoint_id: string; succeeded: boolean; failures: number; last_error: string | null }>();
  for (const outcome of [...outcomes].sort((a, b) => a.finished - b.finished)) {
    const tally = tallies.get(outcome.endpointId) ?? { endpoint_id: outcome.endpointId, succeeded: false, failures: 0, last_error: null };
    if (outcome.ok) Object.assign(tally, { succeeded: true, failures: 0 });
    else Object.assign(tally, { failures: tally.failures + 1, last_error: outcome.error });
    tallies.set(outcome.endpointId, tally);
  }
  return [...tallies.values()];
}

async function recordOutcomes(tx: Executor, now: Date, options: WebhookDeliveryOptions, outcomes: Outcome[]) {
  const deliveries = outcomes.map((outcome) => ({
    id: outcome.id,
    ok: outcome.ok,
    status: outcome.status,
    error: outcome.error,
    retry_seconds: outcome.retrySeconds,
  }));
  const states = await tx.execute<{ state: string }>(sql`
    update webhook_deliveries d
    set state = case when r.ok then 'sent' when d.attempts >= ${options.retry.maxAttempts} then 'dead' else 'failed' end,
        delivered_at = case when r.ok then ${now}::timestamptz else d.delivered_at end,
        last_status_code = r.status,
        last_error = r.error,
        next_attempt_at = case when r.ok then d.next_attempt_at else ${now}::timestamptz + make_interval(secs => r.retry_seconds) end
    from jsonb_to_recordset(${JSON.stringify(deliveries)}::jsonb) as r(id uuid, ok boolean, status int, error text, retry_seconds int)
    where d.id = r.id
    returning d.state`);
  const tallies = endpointTallies(outcomes);
  // Lock the endpoints in id order first: two workers updating the same endpoints in different orders would deadlock.
  await tx.execute(sql`
    select 1 from webhook_endpoints
    where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(tallies.map((tally) => tally.endpoint_id))}::jsonb))
    order by id
    for update`);
  await tx.execute(sql`
    update webhook_endpoints e
    set consecutive_failures = case when r.succeeded then r.failures else e.consecutive_failures + r.failures end,
        last_success_at = case when r.succeeded then ${now}::timestamptz else e.last_success_at end,
        last_failure_at = case when r.failures > 0 then ${now}::timestamptz else e.last_failure_at end
    from jsonb_to_recordset(${JSON.stringify(tallies)}::jsonb) as r(endpoint_id uuid, succeeded boolean, failures int)
    where e.id = r.endpoint_id`);
  const disabled = await disableFailingEndpoints(tx, now, options.disableAfterFailures, tallies);
  const count = (state: string) => states.rows.filter((row) => row.state === state).length;
  return { claimed: outcomes.length, sent: count('sent'), retrying: count('failed'), dead: count('dead'), endpointsDisabled: disabled };
}

/** Disables endpoints that reached the failure limit (once: only an active one changes) and tells their owners. */
async function disableFailingEndpoints(
  tx: Executor,
  now: Date,
  threshold: number,
  tallies: ReturnType<typeof endpointTallies>,
): Promise<number> {
  const failing = tallies.filter((tally) => tally.failures > 0).map((tally) => tally.endpoint_id);
  if (failing.length === 0) return 0;
  const disabled = await tx.execute<{ id: string; url: string; created_by: string; consecutive_failures: number }>(sql`
    update webhook_endpoints
    set status = 'disabled', disabled_at = ${now}::timestamptz
    where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(failing)}::jsonb))
      and status = 'active' and consecutive_failures >= ${threshold}
    returning id, url, created_by, consecutive_failures`);
  if (disabled.rows.length === 0) return 0;
  const lastErrors = new Map(tallies.map((tally) => [tally.endpoint_id, tally.last_error]));
  await enqueueNotifications(tx, {
    kind: 'webhook_endpoint_disabled',
    recipients: disabled.rows.map((endpoint) => ({
      userId: endpoint.created_by,
      dedupeKey: `${endpoint.id}:${now.toISOString()}`,
      variables: {
        endpointId: endpoint.id,
        url: endpoint.url,
        consecutiveFailures: endpoint.consecutive_failures,
        lastError: lastErrors.get(endpoint.id) ?? null,
        disabledAt: now,
      },
    })),
  });
  await recordActivity(
    tx,
    systemActor(JOB_NAME),
    disabled.rows.map((endpoint) => ({
      action: 'webhook.disable',
      entityType: 'webhook_endpoint',
      entityId: endpoint.id,
      before: { status: 'active' },
      after: { status: 'disabled', consecutiveFailures: endpoint.consecutive_failures },
    })),
  );
  return disabled.rows.length;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

/** Sends every due webhook delivery once: claim, sign and POST, record outcomes; disable endpoints that keep failing. */
export async function deliverDueWebhooks(
  db: Database,
  post: WebhookPoster,
  options: WebhookDeliveryOptions,
  now: Date = new Date(),
): Promise<WebhookDeliveryCounts> {
  const batchSize = options.batchSize ?? 100;
  const totals: WebhookDeliveryCounts = { claimed: 0, sent: 0, retrying: 0, dead: 0, endpointsDisabled: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const claimed = await claimDue(db, now, batchSize);
    if (claimed.length === 0) break;
    let finished = 0;
    const outcomes = await mapLimited(claimed, options.concurrency ?? 10, async (row): Promise<Outcome> => {
      const base = { id: row.id, endpointId: row.endpoint_id, retrySeconds: backoffSeconds(options.retry, row.attempts) };
      try {
        // The signature carries the real send time: receivers compare it with their own clock.
        const signature = signWebhookBody(row.secret, row.body, Math.floor(Date.now() / 1000));
        const { status } = await post({
          url: row.url,
          body: row.body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'affiliate-ops-webhooks/1',
            [SIGNATURE_HEADER]: signature,
            'x-affiliate-ops-event': row.event_type,
            'x-affiliate-ops-event-id': row.event_id,
            'x-affiliate-ops-delivery': row.id,
          },
        });
        const ok = status >= 200 && status < 300;
        return { ...base, ok, status, error: ok ? null : `HTTP ${status}`, finished: finished++ };
      } catch (error) {
        return { ...base, ok: false, status: null, error: describe(error), finished: finished++ };
      }
    });
    const counts = await db.transaction((tx) => recordOutcomes(tx, now, options, outcomes));
    for (const key of Object.keys(totals)) totals[key]! += counts[key as keyof typeof counts];
    if (claimed.length < batchSize) break;
  }
  return totals;
}
