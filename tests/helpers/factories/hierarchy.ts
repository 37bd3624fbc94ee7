import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { accounts, partners, type PartnerStatus } from '../../../db/schema/partners.js';
import { programs, programVersions } from '../../../db/schema/programs.js';
import { users, type Role } from '../../../db/schema/users.js';
import type { Database } from '../../../db/client.js';
import { defineAbilityFor, type AppAbility } from '../../../server/auth/abilities.js';
import type { Actor } from '../../../server/context.js';
import { insertIntoTree } from '../../../server/domain/hierarchy/tree.js';
import { programConfiguration } from '../../../server/domain/programs/configuration.js';

/** Rows for hierarchy and account tests, each unique, inserted directly (no procedure, no audit row). */

const unique = () => randomUUID().replaceAll('-', '').slice(0, 12);

export interface Caller {
  actor: Actor;
  ability: AppAbility;
}

export function callerWith(roles: Role[], userId: string = randomUUID()): Caller {
  return { actor: { userId, roles, requestId: null }, ability: defineAbilityFor({ userId, roles }) };
}

export async function insertUser(db: Database, options: { roles?: Role[]; active?: boolean } = {}): Promise<string> {
  const [row] = await db
    .insert(users)
    .values({
      email: `user-${unique()}@example.com`,
      name: 'Test User',
      roles: options.roles ?? ['partner_manager'],
      active: options.active ?? true,
    })
    .returning({ id: users.id });
  return row!.id;
}

export async function insertProgram(db: Database, options: { maxHierarchyDepth?: number } = {}): Promise<string> {
  return db.transaction(async (tx) => {
    const [program] = await tx
      .insert(programs)
      .values({ name: `Program ${unique()}`, currency: 'USD' })
      .returning({ id: programs.id });
    const configuration = programConfiguration.parse({
      commissionTiers: [{ name: 'base', rateType: 'percentage', value: 1_000 }],
      rules: options.maxHierarchyDepth === undefined ? {} : { maxHierarchyDepth: options.maxHierarchyDepth },
    });
    await tx.insert(programVersions).values({ programId: program!.id, version: 1, configuration, reason: 'test', createdBy: 'test' });
    return program!.id;
  });
}

/** A later configuration version of the program, to prove the highest version governs. */
export async function insertProgramVersion(db: Database, programId: string, version: number, maxHierarchyDepth: number): Promise<void> {
  const configuration = programConfiguration.parse({
    commissionTiers: [{ name: 'base', rateType: 'percentage', value: 1_000 }],
    rules: { maxHierarchyDepth },
  });
  await db.insert(programVersions).values({ programId, version, configuration, reason: 'test', createdBy: 'test' });
}

export interface PartnerOptions {
  parentId?: string | null;
  programId?: string | null;
  managerId?: string | null;
  status?: PartnerStatus;
  name?: string;
}

export async function insertPartner(db: Database, options: PartnerOptions = {}): Promise<string> {
  const code = unique();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(partners)
      .values({
        name: options.name ?? `Partner ${code}`,
        email: `partner-${code}@example.com`,
        referralCode: `REF${code.toUpperCase()}`,
        country: 'US',
        status: options.status ?? 'active',
        parentId: options.parentId ?? null,
        programId: options.programId ?? null,
        managerId: options.managerId ?? null,
      })
      .returning({ id: partners.id });
    await insertIntoTree(tx, row!.id, options.parentId ?? null);
    return row!.id;
  });
}

/** A tree from a parent list: node i hangs under node `parents[i]` (an earlier index), or is a root for null. */
export async function insertTree(db: Database, parents: (number | null)[], options: Omit<PartnerOptions, 'parentId'> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, parent] of parents.entries()) {
    if (parent !== null && parent >= index) throw new Error(`node ${index}: parent ${parent} must come earlier`);
    const parentId = parent === null ? null : ids[parent]!;
    ids.push(await insertPartner(db, { ...options, parentId }));
  }
  return ids;
}

export async function insertAccount(db: Database, options: { name?: string; parentAccountId?: string | null; emailDomain?: string } = {}): Promise<string> {
  const [row] = await db
    .insert(accounts)
    .values({ name: options.name ?? `Account ${unique()}`, parentAccountId: options.parentAccountId ?? null, emailDomain: options.emailDomain })
    .returning({ id: accounts.id });
  return row!.id;
}

export type ClosureRow = {
  ancestorId: string;
  descendantId: string;
  depth: number;
};

const byKey = (a: ClosureRow, b: ClosureRow) =>
  `${a.descendantId}${a.ancestorId}`.localeCompare(`${b.descendantId}${b.ancestorId}`) || a.depth - b.depth;

/** The closure table's rows for these partners, and the closure recomputed from parent_id by a recursive CTE. */
export async function closureVersusParents(db: Database, partnerIds: string[]): Promise<{ stored: ClosureRow[]; recomputed: ClosureRow[] }> {
  const ids = sql`array[${sql.join(partnerIds.map((id) => sql`${id}::uuid`), sql`, `)}]`;
  const stored = await db.execute<ClosureRow>(sql`
    select ancestor_id as "ancestorId", descendant_id as "descendantId", depth
    from partner_tree where descendant_id = any(${ids})`);
  const recomputed = await db.execute<ClosureRow>(sql`
    with recursive closure(ancestor_id, descendant_id, depth) as (
      select id, id, 0 from partners where id = any(${ids})
      union all
      select p.parent_id, c.descendant_id, c.depth + 1
      from closure c join partners p on p.id = c.ancestor_id
      -- the bound only stops a runaway if parent_id ever formed a cycle
      where p.parent_id is not null and c.depth < 1000
    )
    select ancestor_id as "ancestorId", descendant_id as "descendantId", depth from closure`);
  return { stored: stored.rows.sort(byKey), recomputed: recomputed.rows.sort(byKey) };
}
