import { desc, eq, sql } from 'drizzle-orm';
import { programVersions } from '../../../db/schema/programs.js';
import type { Executor } from '../../../db/client.js';
import { AppError } from '../../errors.js';
import { programRules } from '../programs/configuration.js';

const maxHierarchyDepth = programRules.shape.maxHierarchyDepth;
export const DEFAULT_MAX_HIERARCHY_DEPTH: number = maxHierarchyDepth.parse(undefined);

/**
 * `rules.maxHierarchyDepth` of the program's current configuration (its highest version): how many levels a
 * partner may have above it. Without a program, or a version that lacks the rule, the configuration default.
 */
export async function maxHierarchyDepthFor(tx: Executor, programId: string | null): Promise<number> {
  if (!programId) return DEFAULT_MAX_HIERARCHY_DEPTH;
  const [current] = await tx
    .select({ value: sql<unknown>`${programVersions.configuration} -> 'rules' -> 'maxHierarchyDepth'` })
    .from(programVersions)
    .where(eq(programVersions.programId, programId))
    .orderBy(desc(programVersions.version))
    .limit(1);
  const parsed = maxHierarchyDepth.safeParse(current?.value ?? undefined);
  return parsed.success ? parsed.data : DEFAULT_MAX_HIERARCHY_DEPTH;
}

export interface DepthCheck {
  /** Whose configuration sets the limit; null: the configuration default. */
  programId: string | null;
  /** Levels above the deepest partner the change would place. */
  resultingDepth: number;
  /** Who would end up where, the start of the refusal's message, e.g. `Moving partner … there would put partner …`. */
  placement: string;
  /** Added to the refusal's details. */
  details?: Record<string, unknown>;
}

/**
 * Refuses a change that would put a partner deeper than `rules.maxHierarchyDepth` of `programId`'s current
 * configuration: CONFLICT (it depends on the tree's current shape) naming the limit, with
 * `details: { maxHierarchyDepth, resultingDepth, programId, …details }`.
 */
export async function assertWithinDepthLimit(tx: Executor, check: DepthCheck): Promise<void> {
  const { programId, resultingDepth, placement } = check;
  const limit = await maxHierarchyDepthFor(tx, programId);
  if (resultingDepth <= limit) return;
  throw new AppError(
    'CONFLICT',
    `${placement} at depth ${resultingDepth}; at most ${limit} levels are allowed above a partner ` +
      `(rules.maxHierarchyDepth = ${limit}, ${programId ? `program ${programId}` : 'the default for a partner without a program'})`,
    { maxHierarchyDepth: limit, resultingDepth, programId, ...check.details },
  );
}
