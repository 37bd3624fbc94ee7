import { router } from '../trpc.js';
import { auditRouter } from './audit.js';
import { partnersRouter } from './partners/index.js';
import { systemRouter } from './system.js';
import { usersRouter } from './users.js';

export const appRouter = router({
  system: systemRouter,
  users: usersRouter,
  audit: auditRouter,
  partners: partnersRouter,
});

export type AppRouter = typeof appRouter;
