import { listJobs, runJobNow, runJobNowInput } from '../domain/jobs/jobs.js';
import { procedureFor, router } from '../trpc.js';

/** Affiliate Admin only: `manage` and `run` on Job are granted by no other role. */
export const jobsRouter = router({
  /** Each scheduled job: its schedule, next run, last run (duration, counts) and last error. */
  list: procedureFor('manage', 'Job').query(({ ctx }) => listJobs(ctx.db)),
  /** Queues one extra run now; it shows in `jobs.list` once a worker has run it. */
  runNow: procedureFor('run', 'Job')
    .input(runJobNowInput)
    .mutation(({ ctx, input }) => runJobNow(ctx.db, ctx.actor, input.name)),
});
