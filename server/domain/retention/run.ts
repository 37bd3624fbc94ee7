import type { Database } from '../../../db/client.js';
import { inExclusiveTransaction, utcDate } from '../partner-jobs/exclusive.js';
import { notifyPartners } from '../partner-jobs/notify.js';
import { programsInForce } from '../partner-jobs/programs-in-force.js';
import { syncLastActivity } from './activity.js';
import { clearMarkersOfLeavers, markInactivePartners } from './markers.js';
import { takeRetentionSnapshot } from './snapshot.js';

export const RETENTION_JOB = 'retention';
const LOCK = `affiliate-ops:job:${RETENTION_JOB}`;

/**
 * The retention job at `now`: brings last activity up to date, then per program (one transaction each) marks
 * partners at risk and churned, sends each partner one re-engagement message per spell of inactivity (dedupe key:
 * the day the spell began) and stores the day's retention snapshot. Running it again in the same period sends and
 * changes nothing more (it only refreshes the snapshot).
 */
export async function runRetention(db: Database, now: Date): Promise<Record<string, number>> {
  const counts = {
    activityUpdated: 0,
    atRisk: 0,
    churned: 0,
    recovered: 0,
    reEngagementsQueued: 0,
    snapshotRows: 0,
    programsUnreadable: 0,
  };
  await inExclusiveTransaction(db, LOCK, async (tx) => {
    counts.activityUpdated = await syncLastActivity(tx, now);
    counts.recovered += await clearMarkersOfLeavers(tx);
  });
  const { programs, unreadable } = await programsInForce(db, now);
  counts.programsUnreadable = unreadable;
  for (const program of programs) {
    await inExclusiveTransaction(db, LOCK, async (tx) => {
      const marking = await markInactivePartners(tx, program, now);
      counts.atRisk += marking.newlyAtRisk.length;
      counts.churned += marking.newlyChurned;
      counts.recovered += marking.recovered;
      counts.reEngagementsQueued += await notifyPartners(
        tx,
        're_engagement',
        marking.newlyAtRisk.map(({ partnerId, inactiveSince }) => ({
          partnerId,
          dedupeKey: `inactive-since:${utcDate(inactiveSince)}`,
          variables: { programName: program.name, offer: null },
        })),
      );
      counts.snapshotRows += await takeRetentionSnapshot(tx, program, now);
    });
  }
  return counts;
}
