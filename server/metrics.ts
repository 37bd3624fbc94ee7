import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** A Prometheus registry per app instance, so tests can build several apps in one process. */
export function registerMetrics(app: FastifyInstance): Registry {
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
  return registry;
}
