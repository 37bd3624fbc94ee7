import { router } from '../trpc.js';
import { accountsRouter } from './accounts.js';
import { agreementsRouter } from './agreements.js';
import { analyticsRouter } from './analytics.js';
import { apiKeysRouter } from './api-keys.js';
import { auditRouter } from './audit.js';
import { commissionsRouter } from './commissions.js';
import { communicationsRouter } from './communications.js';
import { complianceRouter } from './compliance.js';
import { fraudRouter } from './fraud.js';
import { jobsRouter } from './jobs.js';
import { notificationsRouter } from './notifications.js';
import { partnersRouter } from './partners/index.js';
import { payoutsRouter } from './payouts.js';
import { programsRouter } from './programs.js';
import { referralsRouter } from './referrals.js';
import { systemRouter } from './system.js';
import { ticketsRouter } from './tickets.js';
import { usersRouter } from './users.js';
import { webhooksRouter } from './webhooks.js';

export const appRouter = router({
  system: systemRouter,
  users: usersRouter,
  audit: auditRouter,
  partners: partnersRouter,
  accounts: accountsRouter,
  programs: programsRouter,
  agreements: agreementsRouter,
  compliance: complianceRouter,
  referrals: referralsRouter,
  analytics: analyticsRouter,
  commissions: commissionsRouter,
  fraud: fraudRouter,
  apiKeys: apiKeysRouter,
  notifications: notificationsRouter,
  webhooks: webhooksRouter,
  communications: communicationsRouter,
  tickets: ticketsRouter,
  jobs: jobsRouter,
  payouts: payoutsRouter,
});

export type AppRouter = typeof appRouter;
