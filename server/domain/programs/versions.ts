import { and, desc, eq, lt, lte, sql } from 'drizzle-orm';
import { programs, programVersions } from '../../../db/schema/programs.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { positiveIntCursor } from '../shared/keyset.js';
import { toPage } from '../shared/pagination.js';
import { readablePrograms } from './access.js';
import type { ProgramConfiguration } from './configuration.js';
import type { ListVersionsInput, UpdateConfigurationInput } from './schemas.js';

export const versionColumns = {
  version: programVersions.version,
  configuration: programVersions.configuration,
  reason: programVersions.reason,
  createdBy: programVersions.createdBy,
  effectiveFrom: programVersions.effectiveFrom,
};

/**
 * When a version takes effect: the clock after the program row is locked (so versions of one program take effect in
 * version order), cut to milliseconds so the JavaScript Date a caller reads back names exactly the same instant.
 */
export const versionClock = sql`date_trunc('milliseconds', clock_timestamp())`;

export interface ConfigurationInForce {
  version: number;
  effectiveFrom: Date;
  configuration: ProgramConfiguration;
}

/**
 * The configuration in force at `at`: the version with the latest `effectiveFrom` at or before it (the higher
 * version wins a tie). Commissions use this with the event's time, never the current version. Null when the program
 * does not exist or had no version yet at that time.
 */
export async function configurationAt(db: Executor, programId: string, at: Date): Promise<ConfigurationInForce | null> {
  const [row] = await db
    .select({ version: programVersions.version, effectiveFrom: programVersions.effectiveFrom, configuration: programVersions.configuration })
    .from(programVersions)
    .where(and(eq(programVersions.programId, programId), lte(programVersions.effectiveFrom, at)))
    .orderBy(desc(programVersions.effectiveFrom), desc(programVersions.version))
    .limit(1);
  return row ?? null;
}

/**
 * Writes the next immutable version. The program row is locked, so concurrent updates take numbers one after the
 * other; an update identical to the current version, one based on an outdated version, and one to an archived
 * program are refused (CONFLICT).
 */
export async function updateProgramConfiguration(db: Database, actor: Actor, input: UpdateConfigurationInput) {
  const { programId, configuration, reason, baseVersion } = input;
  return db.transaction(async (tx) => {
    const [program] = await tx
      .select({ status: programs.status, currentVersion: programs.currentVersion })
      .from(programs)
      .where(eq(programs.id, programId))
      .for('update');
    if (!program) throw notFound('Program', programId);
    const current = program.currentVersion;
    if (program.status === 'archived') {
      throw new AppError('CONFLICT', `Program ${programId} is archived; its configuration cannot change`, {
        current: 'archived',
        requested: 'configuration update',
      });
    }
    if (baseVersion !== undefined && baseVersion !== current) {
      throw new AppError(
        'CONFLICT',
        `The configuration changed since version ${baseVersion}: the current version is ${current}; apply your change to it`,
        { current, requested: baseVersion },
      );
    }
    const [previous] = await tx
      .select({
        configuration: programVersions.configuration,
        unchanged: sql<boolean>`${programVersions.configuration} = ${JSON.stringify(configuration)}::jsonb`,
      })
      .from(programVersions)
      .where(and(eq(programVersions.programId, programId), eq(programVersions.version, current)));
    if (!previous) throw new Error(`program ${programId} has no version ${current}`);
    if (previous.unchanged) {
      throw new AppError('CONFLICT', `The configuration is identical to the current version ${current}; nothing to change`, {
        current,
      });
    }
    const next = current + 1;
    // A clock that stepped back must not let a later version take effect before an earlier one.
    const effectiveFrom = sql`greatest(${versionClock}, (select max(${programVersions.effectiveFrom}) from ${programVersions} where ${programVersions.programId} = ${programId}))`;
    const [created] = await tx
      .insert(programVersions)
      .values({ programId, version: next, configuration, reason, createdBy: actor.userId, effectiveFrom })
      .returning(versionColumns);
    if (!created) throw new Error('insert returned no version');
    await tx.update(programs).set({ currentVersion: next }).where(eq(programs.id, programId));
    await recordActivity(tx, actor, {
      action: 'program.configuration.update',
      entityType: 'program',
      entityId: programId,
      before: { version: current, configuration: previous.configuration },
      after: { version: next, configuration, reason },
    });
    return { programId, ...created };
  });
}

/** Newest first, each with who made it, why and when it took effect; the cursor is the last version number. */
export async function listProgramVersions(db: Executor, ability: AppAbility, input: ListVersionsInput) {
  const [program] = await db
    .select({ id: programs.id })
    .from(programs)
    .where(and(eq(programs.id, input.programId), readablePrograms(ability)));
  if (!program) throw notFound('Program', input.programId);
  const rows = await db
    .select(versionColumns)
    .from(programVersions)
    .where(
      and(
        eq(programVersions.programId, input.programId),
        input.cursor ? lt(programVersions.version, positiveIntCursor(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(programVersions.version))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => String(row.version));
}
