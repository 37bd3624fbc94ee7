import { and, asc, eq, sql } from 'drizzle-orm';
import { programs, programVersions } from '../../../db/schema/programs.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { AppError, illegalTransition, notFound, PG_UNIQUE_VIOLATION, pgErrorCode } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { afterCursorRow } from '../shared/keyset.js';
import { toPage } from '../shared/pagination.js';
import { readablePrograms } from './access.js';
import type { CreateProgramInput, ListProgramsInput } from './schemas.js';
import { versionClock, versionColumns } from './versions.js';

export const programColumns = {
  id: programs.id,
  name: programs.name,
  description: programs.description,
  currency: programs.currency,
  status: programs.status,
  currentVersion: programs.currentVersion,
  createdAt: programs.createdAt,
  archivedAt: programs.archivedAt,
};

export async function createProgram(db: Database, actor: Actor, input: CreateProgramInput) {
  const { configuration, reason, ...fields } = input;
  try {
    return await db.transaction(async (tx) => {
      const [program] = await tx.insert(programs).values(fields).returning(programColumns);
      if (!program) throw new Error('insert returned no program');
      const [current] = await tx
        .insert(programVersions)
        .values({ programId: program.id, version: 1, configuration, reason, createdBy: actor.userId, effectiveFrom: versionClock })
        .returning(versionColumns);
      if (!current) throw new Error('insert returned no version');
      await recordActivity(tx, actor, {
        action: 'program.create',
        entityType: 'program',
        entityId: program.id,
        after: { ...program, configuration, reason },
      });
      return { ...program, current };
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      throw new AppError('CONFLICT', `A program named ${input.name} already exists`, { field: 'name' });
    }
    throw error;
  }
}

/** The program with the configuration version it uses now; NOT_FOUND when it does not exist or is not readable. */
export async function getProgram(db: Executor, ability: AppAbility, programId: string) {
  const [row] = await db
    .select({ program: programColumns, current: versionColumns })
    .from(programs)
    .innerJoin(
      programVersions,
      and(eq(programVersions.programId, programs.id), eq(programVersions.version, programs.currentVersion)),
    )
    .where(and(eq(programs.id, programId), readablePrograms(ability)));
  if (!row) throw notFound('Program', programId);
  return { ...row.program, current: row.current };
}

/** By name; the cursor is the last program's id. */
export async function listPrograms(db: Executor, ability: AppAbility, input: ListProgramsInput) {
  const order = [sql`lower(${programs.name})`, programs.id];
  const rows = await db
    .select(programColumns)
    .from(programs)
    .where(
      and(
        readablePrograms(ability),
        input.status ? eq(programs.status, input.status) : undefined,
        input.cursor ? afterCursorRow(programs, programs.id, order, 'asc', input.cursor) : undefined,
      ),
    )
    .orderBy(...order.map((key) => asc(key)))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

/** An archived program keeps its partners and history but takes no new enrollments. */
export async function archiveProgram(db: Database, actor: Actor, programId: string) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select(programColumns).from(programs).where(eq(programs.id, programId)).for('update');
    if (!before) throw notFound('Program', programId);
    if (before.status === 'archived') throw illegalTransition('Program', 'archived', 'archived');
    const [after] = await tx
      .update(programs)
      .set({ status: 'archived', archivedAt: sql`now()` })
      .where(eq(programs.id, programId))
      .returning(programColumns);
    if (!after) throw notFound('Program', programId);
    await recordActivity(tx, actor, { action: 'program.archive', entityType: 'program', entityId: programId, before, after });
    return after;
  });
}

/**
 * For enrollment, inside the enrolling transaction: the program and its current configuration, share-locked so it
 * cannot be archived until the enrollment commits. NOT_FOUND when missing, CONFLICT when archived.
 */
export async function requireEnrollableProgram(tx: Executor, programId: string) {
  const [row] = await tx
    .select({ program: programColumns, current: versionColumns })
    .from(programs)
    .innerJoin(
      programVersions,
      and(eq(programVersions.programId, programs.id), eq(programVersions.version, programs.currentVersion)),
    )
    .where(eq(programs.id, programId))
    .for('share', { of: programs });
  if (!row) throw notFound('Program', programId);
  if (row.program.status === 'archived') {
    throw new AppError('CONFLICT', `Program ${programId} is archived; it takes no new enrollments`, {
      current: 'archived',
      requested: 'enrolled',
    });
  }
  return { ...row.program, current: row.current };
}
