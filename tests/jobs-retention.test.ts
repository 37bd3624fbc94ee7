import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { retentionJob } from '../jobs/retention.js';
import { createTestDatabase } from './helpers/db.js';
import {
  countRows,
  createJobPartner,
  createJobProgram,
  insertEvents,
  iso,
  notificationsTo,
  programName,
} from './helpers/factories/partner-jobs.js';

const database = await createTestDatabase();
const { db } = database;
const job = retentionJob('1 hour');
const run = (now: string) => job.run({ db, now: new Date(now) });

async function markers(partnerIds: string[]) {
  const result = await db.execute<{ partner_id: string; inactive_since: string; at_risk_since: string; churned_since: string | null }>(sql`
    select partner_id, inactive_since, at_risk_since, churned_since from partner_retention
    where partner_id = any(${sql.param(partnerIds)}::uuid[])`);
  return Object.fromEntries(
    result.rows.map((row) => [
      row.partner_id,
      { inactiveSince: iso(row.inactive_since), atRiskSince: iso(row.at_risk_since), churnedSince: iso(row.churned_since) },
    ]),
  );
}

async function lastActivity(partnerId: string): Promise<string | null> {
  const result = await db.execute<{ at: string | null }>(sql`select last_activity_at as at from partners where id = ${partnerId}`);
  return iso(result.rows[0]!.at);
}

async function snapshot(programId: string, day: string) {
  const result = await db.execute<{ cohort: string; active: number; at_risk: number; churned: number; suspended: number }>(sql`
    select cohort::text, active, at_risk, churned, suspended from retention_snapshots
    where program_id = ${programId} and day = ${day}::date order by cohort`);
  return result.rows;
}

describe('the retention job', () => {
  it('marks inactive partners at risk and churned, re-engages each once per spell of inactivity, and snapshots cohorts', async () => {
    const programId = await createJobProgram(db, 'Retention Program', {
      commissionTiers: [{ name: 'standard', rateType: 'percentage', value: 1000 }],
      rules: { inactivityDays: 30, churnDays: 90 },
    });
    const name = await programName(db, programId);
    const partner = (options: Parameters<typeof createJobPartner>[1]) => createJobPartner(db, { programId, tier: 'standard', ...options });
    const fresh = await partner({ lastActivityAt: '2025-05-27T00:00:00Z' });
    const quiet = await partner({ lastActivityAt: null });
    await insertEvents(db, quiet, programId, [{ kind: 'sale', at: '2025-04-20T10:00:00Z' }]);
    const lapsed = await partner({ lastActivityAt: '2025-02-01T00:00:00Z' });
    const revived = await partner({ lastActivityAt: '2025-03-01T00:00:00Z' });
    await insertEvents(db, revived, programId, [{ kind: 'click', at: '2025-05-25T12:00:00Z' }]);
    const ineligibleOnly = await partner({ lastActivityAt: '2025-04-01T00:00:00Z' });
    await insertEvents(db, ineligibleOnly, programId, [{ kind: 'sale', at: '2025-05-30T00:00:00Z', status: 'ineligible' }]);
    const laterClick = await partner({ lastActivityAt: '2025-04-10T00:00:00Z' });
    await insertEvents(db, laterClick, programId, [{ kind: 'click', at: '2025-06-02T00:00:00Z' }]);
    const suspended = await partner({ status: 'suspended', lastActivityAt: '2025-01-20T00:00:00Z' });
    const terminated = await partner({ status: 'terminated', lastActivityAt: '2025-01-20T00:00:00Z' });
    const marchCohort = await partner({ activatedAt: '2025-03-10T00:00:00Z', lastActivityAt: '2025-05-31T00:00:00Z' });
    const onboarding = await partner({ status: 'trained', activatedAt: null, lastActivityAt: null });
    const everyone = [fresh, quiet, lapsed, revived, ineligibleOnly, laterClick, suspended, terminated, marchCohort, onboarding];

    await run('2025-06-01T06:00:00Z');

    // Activity is taken from attributed events up to the clock: not ineligible ones, not later ones.
    expect(await lastActivity(quiet)).toBe('2025-04-20T10:00:00.000Z');
    expect(await lastActivity(revived)).toBe('2025-05-25T12:00:00.000Z');
    expect(await lastActivity(ineligibleOnly)).toBe('2025-04-01T00:00:00.000Z');
    expect(await lastActivity(laterClick)).toBe('2025-04-10T00:00:00.000Z');

    const firstRun = '2025-06-01T06:00:00.000Z';
    expect(await markers(everyone)).toEqual({
      [quiet]: { inactiveSince: '2025-04-20T10:00:00.000Z', atRiskSince: firstRun, churnedSince: null },
      [lapsed]: { inactiveSince: '2025-02-01T00:00:00.000Z', atRiskSince: firstRun, churnedSince: firstRun },
      [ineligibleOnly]: { inactiveSince: '2025-04-01T00:00:00.000Z', atRiskSince: firstRun, churnedSince: null },
      [laterClick]: { inactiveSince: '2025-04-10T00:00:00.000Z', atRiskSince: firstRun, churnedSince: null },
    });

    const sent = await notificationsTo(db, everyone);
    const spells = { [quiet]: '2025-04-20', [lapsed]: '2025-02-01', [ineligibleOnly]: '2025-04-01', [laterClick]: '2025-04-10' };
    expect(sent.map(({ partnerId, kind, channel, dedupeKey }) => ({ partnerId, kind, channel, dedupeKey })).sort(byKey)).toEqual(
      Object.entries(spells)
        .flatMap(([partnerId, day]) =>
          ['dashboard', 'email'].map((channel) => ({
            partnerId,
            kind: 're_engagement',
            channel,
            dedupeKey: `re_engagement:inactive-since:${day}:${partnerId}:${channel}`,
          })),
        )
        .sort(byKey),
    );
    const message = sent.find((notification) => notification.channel === 'email')!;
    expect(message.subject).toBe(`We miss you at ${name}`);
    expect(message.summary).toBe('It has been a while since your last referral.');
    expect(message.bodyText).toContain(`It has been a while since we saw a referral from you in ${name}.`);
    expect(message.bodyText).toContain('Your links and tracking are ready in your dashboard: http://localhost:3000/dashboard');

    const juneFirst = [
      { cohort: '2025-01-01', active: 2, at_risk: 3, churned: 2, suspended: 1 },
      { cohort: '2025-03-01', active: 1, at_risk: 0, churned: 0, suspended: 0 },
    ];
    expect(await snapshot(programId, '2025-06-01')).toEqual(juneFirst);

    // The same day again: nothing new is sent or marked; the day's snapshot is rewritten with the same counts.
    const notificationsBefore = await countRows(db, 'notifications');
    await run('2025-06-01T07:00:00Z');
    expect(await countRows(db, 'notifications')).toBe(notificationsBefore);
    expect((await markers(everyone))[quiet]).toEqual({ inactiveSince: '2025-04-20T10:00:00.000Z', atRiskSince: firstRun, churnedSince: null });
    expect(await snapshot(programId, '2025-06-01')).toEqual(juneFirst);

    // Activity ends a spell; the later click now counts; nothing is sent.
    await insertEvents(db, quiet, programId, [{ kind: 'sale', at: '2025-06-10T09:00:00Z' }]);
    await run('2025-06-15T06:00:00Z');
    expect(Object.keys(await markers(everyone)).sort()).toEqual([lapsed, ineligibleOnly].sort());
    expect(await countRows(db, 'notifications')).toBe(notificationsBefore);

    // A new spell of inactivity is a new occasion: one more re-engagement, keyed by its own start. By now the
    // partners active on 1 June have gone quiet too; the ones already at risk get nothing new.
    await run('2025-07-20T06:00:00Z');
    const later = await markers(everyone);
    expect(later[quiet]).toEqual({ inactiveSince: '2025-06-10T09:00:00.000Z', atRiskSince: '2025-07-20T06:00:00.000Z', churnedSince: null });
    expect(later[ineligibleOnly]).toEqual({
      inactiveSince: '2025-04-01T00:00:00.000Z',
      atRiskSince: firstRun,
      churnedSince: '2025-07-20T06:00:00.000Z',
    });
    const newlySent = (await notificationsTo(db, everyone)).filter((notification) => !sent.some((old) => old.dedupeKey === notification.dedupeKey));
    const newSpells = { [quiet]: '2025-06-10', [fresh]: '2025-05-27', [revived]: '2025-05-25', [marchCohort]: '2025-05-31', [laterClick]: '2025-06-02' };
    expect(newlySent.map((notification) => notification.dedupeKey).sort()).toEqual(
      Object.entries(newSpells)
        .flatMap(([partnerId, day]) => ['dashboard', 'email'].map((channel) => `re_engagement:inactive-since:${day}:${partnerId}:${channel}`))
        .sort(),
    );
    expect(await snapshot(programId, '2025-06-01')).toEqual(juneFirst);
  });

  it('clears the marker of a partner who is suspended or moves to another program', async () => {
    const config = { commissionTiers: [{ name: 'standard', rateType: 'percentage' as const, value: 1000 }], rules: { inactivityDays: 10, churnDays: 20 } };
    const programId = await createJobProgram(db, 'Leavers', config);
    const otherProgramId = await createJobProgram(db, 'Elsewhere', { ...config, rules: { inactivityDays: 60, churnDays: 90 } });
    const suspendedLater = await createJobPartner(db, { programId, lastActivityAt: '2025-05-01T00:00:00Z' });
    const moved = await createJobPartner(db, { programId, lastActivityAt: '2025-05-01T00:00:00Z' });
    await run('2025-05-15T00:00:00Z');
    expect(Object.keys(await markers([suspendedLater, moved])).sort()).toEqual([suspendedLater, moved].sort());

    await db.execute(sql`update partners set status = 'suspended' where id = ${suspendedLater}`);
    await db.execute(sql`update partners set program_id = ${otherProgramId} where id = ${moved}`);
    await run('2025-05-16T00:00:00Z');
    expect(await markers([suspendedLater, moved])).toEqual({});
  });
});

function byKey(a: { dedupeKey: string }, b: { dedupeKey: string }) {
  return a.dedupeKey.localeCompare(b.dedupeKey);
}
