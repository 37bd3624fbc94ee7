import { router } from '../trpc.js';
import { auditRouter } from './audit.js';
import { systemRouter } from './system.js';
import { usersRouter } from './users.js';

export const appRouter = router({
  system: systemRouter,
  users: usersRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
