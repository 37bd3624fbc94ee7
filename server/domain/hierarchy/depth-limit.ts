import { desc, eq, sql } from 'drizzle-orm';
import { programVersions } from '../../../db/schema/programs.js';
import type { Executor } from '../../../db/client.js';
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
