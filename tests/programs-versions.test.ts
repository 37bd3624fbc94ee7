import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { programs, programVersions } from '../db/schema/programs.js';
import { defineAbilityFor } from '../server/auth/abilities.js';
import { programConfiguration, type ProgramConfigurationInput } from '../server/domain/programs/configuration.js';
import { archiveProgram, getProgram, requireEnrollableProgram } from '../server/domain/programs/programs.js';
import { configurationAt, listProgramVersions, updateProgramConfiguration } from '../server/domain/programs/versions.js';
import { pgErrorCode } from '../server/errors.js';
import { createProgram, factoryActor, sampleConfiguration } from './helpers/factories/programs.js';
import { createTestDatabase, waitingOnLocks } from './helpers/db.js';

const { db } = await createTestDatabase();
const admin = defineAbilityFor({ userId: 'admin', roles: ['affiliate_admin'] });

/** The sample configuration with the silver tier paying `value` basis points. */
function withSilverRate(value: number): ReturnType<typeof programConfiguration.parse> {
  const base = sampleConfiguration();
  const [silver, ...rest] = base.commissionTiers;
  return programConfiguration.parse({ ...base, commissionTiers: [{ ...silver!, value }, ...rest] } satisfies ProgramConfigurationInput);
}

const update = (programId: string, value: number, extra: { reason?: string; baseVersion?: number } = {}) =>
  updateProgramConfiguration(db, factoryActor, {
    programId,
    configuration: withSilverRate(value),
    reason: extra.reason ?? `silver to ${value}`,
    baseVersion: extra.baseVersion,
  });

describe('configuration versions', () => {
  it('writes version 1 on create and a new version on each update, keeping the old ones readable', async () => {
    const program = await createProgram(db, withSilverRate(1_000));
    expect(program).toMatchObject({ currentVersion: 1, current: { version: 1, reason: 'test program', createdBy: factoryActor.userId } });

    const second = await update(program.id, 1_250, { reason: 'summer promotion' });
    expect(second).toMatchObject({ version: 2, reason: 'summer promotion', createdBy: factoryActor.userId });

    const current = await getProgram(db, admin, program.id);
    expect(current.currentVersion).toBe(2);
    expect(current.current.configuration.commissionTiers[0]!.value).toBe(1_250);

    const history = await listProgramVersions(db, admin, { programId: program.id, limit: 10 });
    expect(history.items.map((version) => [version.version, version.configuration.commissionTiers[0]!.value, version.reason])).toEqual([
      [2, 1_250, 'summer promotion'],
      [1, 1_000, 'test program'],
    ]);

    const audit = await db
      .select({ before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.entityId, program.id), eq(activity.action, 'program.configuration.update')));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.before).toMatchObject({ version: 1 });
    expect(audit[0]!.after).toMatchObject({ version: 2, reason: 'summer promotion' });
  });

  it('answers configurationAt with the version in force at each point in time', async () => {
    const program = await createProgram(db, withSilverRate(1_000));
    const before = new Date(program.current.effectiveFrom.getTime() - 1);
    const second = await update(program.id, 1_500);
    const third = await update(program.id, 2_000);
    const rateAt = async (at: Date) => {
      const found = await configurationAt(db, program.id, at);
      return found && [found.version, found.configuration.commissionTiers[0]!.value];
    };

    expect(await rateAt(before)).toBeNull();
    expect(await rateAt(program.current.effectiveFrom)).toEqual([1, 1_000]);
    expect(await rateAt(new Date(second.effectiveFrom.getTime() - 1))).toEqual([1, 1_000]);
    expect(await rateAt(second.effectiveFrom)).toEqual([2, 1_500]);
    expect(await rateAt(new Date(third.effectiveFrom.getTime() - 1))).toEqual(
      third.effectiveFrom.getTime() > second.effectiveFrom.getTime() ? [2, 1_500] : [1, 1_000],
    );
    expect(await rateAt(third.effectiveFrom)).toEqual([3, 2_000]);
    expect(await rateAt(new Date(Date.now() + 86_400_000))).toEqual([3, 2_000]);
    expect(await configurationAt(db, '00000000-0000-4000-8000-000000000000', new Date())).toBeNull();
  });

  it('picks the higher version when two took effect in the same millisecond', async () => {
    const program = await createProgram(db);
    const second = await update(program.id, 1_111);
    // Inserted directly, as a stepped-back clock could produce; the trigger forbids only changes, not inserts.
    await db.insert(programVersions).values({
      programId: program.id,
      version: 3,
      configuration: withSilverRate(3_333),
      reason: 'same instant',
      createdBy: 'test',
      effectiveFrom: second.effectiveFrom,
    });
    expect((await configurationAt(db, program.id, second.effectiveFrom))?.version).toBe(3);
  });

  it('gives concurrent updates distinct consecutive versions, taking effect in version order', async () => {
    const program = await createProgram(db);
    const rates = [1_100, 1_200, 1_300, 1_400, 1_500, 1_600];
    const results = await Promise.all(rates.map((rate) => update(program.id, rate)));
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);

    const versions = await db
      .select({ version: programVersions.version, effectiveFrom: programVersions.effectiveFrom })
      .from(programVersions)
      .where(eq(programVersions.programId, program.id))
      .orderBy(programVersions.version);
    const times = versions.map((version) => version.effectiveFrom.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect((await getProgram(db, admin, program.id)).currentVersion).toBe(7);
  });

  it('refuses an update that changes nothing, one from an outdated version, and one to an archived program', async () => {
    const program = await createProgram(db, withSilverRate(1_000));
    await expect(update(program.id, 1_000)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/identical to the current version 1/) });

    await update(program.id, 1_100, { baseVersion: 1 });
    await expect(update(program.id, 1_200, { baseVersion: 1 })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { current: 2, requested: 1 },
    });

    await archiveProgram(db, factoryActor, program.id);
    await expect(update(program.id, 1_300)).rejects.toMatchObject({ code: 'CONFLICT', details: { current: 'archived' } });
    expect((await getProgram(db, admin, program.id)).currentVersion).toBe(2);
  });

  it('reports a missing program as NOT_FOUND', async () => {
    await expect(update('00000000-0000-4000-8000-000000000000', 1_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('immutability in the database', () => {
  it('refuses to update, delete or truncate program versions, whoever asks', async () => {
    const program = await createProgram(db);
    const attempts = [
      sql`update ${programVersions} set reason = 'rewritten' where ${programVersions.programId} = ${program.id}`,
      sql`update ${programVersions} set configuration = '{}'::jsonb where ${programVersions.programId} = ${program.id}`,
      sql`delete from ${programVersions} where ${programVersions.programId} = ${program.id}`,
      sql`truncate ${programVersions} cascade`,
    ];
    for (const attempt of attempts) {
      const error = await db.execute(attempt).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(pgErrorCode(error)).toBe('42501');
      expect(String((error as { cause?: Error }).cause?.message ?? error)).toMatch(/program_versions is append-only/);
    }
    const [row] = await db.select({ reason: programVersions.reason }).from(programVersions).where(eq(programVersions.programId, program.id));
    expect(row?.reason).toBe('test program');
  });
});

describe('archiving', () => {
  it('archives once; a second archive is a CONFLICT naming the status', async () => {
    const program = await createProgram(db);
    const archived = await archiveProgram(db, factoryActor, program.id);
    expect(archived).toMatchObject({ status: 'archived', archivedAt: expect.any(Date) });
    await expect(archiveProgram(db, factoryActor, program.id)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { current: 'archived', requested: 'archived' },
    });
  });

  it('lets enrollment find an active program with its configuration and refuses an archived one', async () => {
    const open = await createProgram(db);
    const enrollable = await db.transaction((tx) => requireEnrollableProgram(tx, open.id));
    expect(enrollable).toMatchObject({ id: open.id, current: { version: 1 } });

    const closed = await createProgram(db);
    await archiveProgram(db, factoryActor, closed.id);
    await expect(db.transaction((tx) => requireEnrollableProgram(tx, closed.id))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/archived; it takes no new enrollments/),
    });
    await expect(
      db.transaction((tx) => requireEnrollableProgram(tx, '00000000-0000-4000-8000-000000000000')),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('makes an archive wait for an enrollment in progress', async () => {
    const program = await createProgram(db);
    const order: string[] = [];
    let releaseEnrollment!: () => void;
    const enrollmentHeld = new Promise<void>((resolve) => (releaseEnrollment = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const enrollment = db.transaction(async (tx) => {
      await requireEnrollableProgram(tx, program.id);
      locked();
      await enrollmentHeld;
      order.push('enrolled');
    });
    await lockTaken;
    const archive = archiveProgram(db, factoryActor, program.id).then(() => order.push('archived'));
    // The archive is blocked on the share lock; its row shows it waiting before the enrollment commits.
    await expect.poll(async () => (await waitingOnLocks(db)) > 0, { timeout: 5_000 }).toBe(true);
    releaseEnrollment();
    await Promise.all([enrollment, archive]);
    expect(order).toEqual(['enrolled', 'archived']);
    const [row] = await db.select({ status: programs.status }).from(programs).where(eq(programs.id, program.id));
    expect(row?.status).toBe('archived');
  });
});
