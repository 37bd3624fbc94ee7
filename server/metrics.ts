import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client.js';

/** Backlog gauges: name → help. The query below returns one column per name. */
const BACKLOG_GAUGES = {
  referral_effects_queued_events: 'Ingested events whose effects (ledger, fraud rules, rollups) are queued, not applied yet',
  referral_effects_oldest_seconds: 'Age in seconds of the oldest queued ingestion call (0 when the queue is empty)',
  notifications_outbox_pending: 'Emails not sent yet: pending, or failed and waiting for a retry',
  notifications_outbox_oldest_seconds: 'Age in seconds of the oldest email not sent yet (0 when none)',
  webhook_deliveries_pending: 'Unsent webhook deliveries to active endpoints: pending, or failed and waiting for a retry',
  webhook_deliveries_oldest_seconds: 'Age in seconds of the oldest unsent webhook delivery to an active endpoint (0 when none)',
} as const;
type Backlog = Record<keyof typeof BACKLOG_GAUGES, number>;

/** A scrape answers without the backlog rather than wait longer than this for the database (Prometheus gives up at 10 s). */
const BACKLOG_TIMEOUT_MS = 2_000;

// "Not sent yet" is what the senders claim (notifications/delivery.ts, webhooks/delivery.ts), due now or later; dead
// rows and the deliveries a disabled endpoint holds are not. Each filter is the predicate of the sender's partial
// index, so a scrape reads only the backlog; the effects queue holds nothing but backlog.
const backlogQuery = sql`
  select q.events as referral_effects_queued_events, q.oldest as referral_effects_oldest_seconds,
    n.pending as notifications_outbox_pending, n.oldest as notifications_outbox_oldest_seconds,
    w.pending as webhook_deliveries_pending, w.oldest as webhook_deliveries_oldest_seconds
  from (
    select coalesce(sum(cardinality(event_ids)), 0)::float8 as events,
      greatest(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
    from referral_effects_queue
  ) q, (
    select count(*)::float8 as pending, greatest(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
    from notifications
    where channel = 'email' and state in ('pending', 'failed')
  ) n, (
    select count(*)::float8 as pending, greatest(extract(epoch from now() - min(d.created_at)), 0)::float8 as oldest
    from webhook_deliveries d
    join webhook_endpoints e on e.id = d.endpoint_id
    where d.state in ('pending', 'failed') and e.status = 'active' and e.deleted_at is null
  ) w`;

/** A Prometheus registry per app instance, so tests can build several apps in one process. */
export function registerMetrics(app: FastifyInstance, db: Database): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The tRPC path (procedure names) keeps the label set bounded; unknown URLs collapse into one label.
    const route = request.routeOptions.url ?? 'unmatched';
    const trpcPath = route.startsWith('/trpc') ? `/trpc/${String((request.params as { path?: string }).path ?? '')}` : route;
    requests.inc({ method: request.method, route: trpcPath, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route: trpcPath }, reply.elapsedTime / 1000);
  });

  // All gauges of one scrape share one query. A query that hangs (a database that does not answer) stays shared
  // until it settles, so scrapes never stack up connections waiting on it.
  let query: Promise<Backlog> | undefined;
  let scrape: Promise<Backlog | null> | undefined;
  const scrapeBacklog = async (): Promise<Backlog | null> => {
    query ??= db
      .execute<Backlog>(backlogQuery)
      .then((result) => result.rows[0]!)
      .finally(() => (query = undefined));
    const timeout = sleep(BACKLOG_TIMEOUT_MS, undefined, { ref: false }).then(() => {
      throw new Error(`no answer from the database within ${BACKLOG_TIMEOUT_MS} ms`);
    });
    try {
      return await Promise.race([query, timeout]);
    } catch (error) {
      // Without the database /metrics still answers with the process and HTTP metrics; the backlog reads NaN (unknown).
      app.log.warn({ err: error }, 'backlog metrics unavailable: the database query failed');
      return null;
    }
  };
  const readBacklog = () => (scrape ??= scrapeBacklog().finally(() => (scrape = undefined)));
  for (const [name, help] of Object.entries(BACKLOG_GAUGES) as [keyof Backlog, string][]) {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set((await readBacklog())?.[name] ?? Number.NaN);
      },
    });
  }
  return registry;
}
