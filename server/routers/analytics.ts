import { accountGrowth } from '../domain/analytics/account-growth.js';
import { partnerPerformance } from '../domain/analytics/partner-performance.js';
import { programHealth } from '../domain/analytics/program-health.js';
import { referralPerformance } from '../domain/analytics/referral-performance.js';
import {
  accountGrowthInput,
  partnerPerformanceInput,
  programHealthInput,
  referralPerformanceInput,
} from '../domain/analytics/schemas.js';
import { procedureFor, router } from '../trpc.js';

/** Dashboards read the rollups only; a partner manager sees the partners they manage (see domain/analytics/scope.ts). */
const readAnalytics = procedureFor('read', 'Analytics');

export const analyticsRouter = router({
  partnerPerformance: readAnalytics.input(partnerPerformanceInput).query(({ ctx, input }) => partnerPerformance(ctx.db, ctx, input)),
  programHealth: readAnalytics.input(programHealthInput).query(({ ctx, input }) => programHealth(ctx.db, ctx, input)),
  referralPerformance: readAnalytics.input(referralPerformanceInput).query(({ ctx, input }) => referralPerformance(ctx.db, ctx, input)),
  accountGrowth: readAnalytics.input(accountGrowthInput).query(({ ctx, input }) => accountGrowth(ctx.db, ctx, input)),
});
