import { publicProcedure, router } from '../trpc.js';

export const systemRouter = router({
  /** A public liveness probe through tRPC itself, for clients checking they reach the API. */
  ping: publicProcedure.query(() => ({ ok: true as const, time: new Date().toISOString() })),
});
