import { and, arrayContains, asc, eq, gt, ilike, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { ROLES, users } from '../../../db/schema/users.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError, notFound, PG_UNIQUE_VIOLATION, pgErrorCode } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { checkCursor, pageInput, toPage } from '../shared/pagination.js';

const roles = z.array(z.enum(ROLES)).min(1, 'at least one role is required');

export const createUserInput = z.object({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  roles,
});
export const updateUserInput = z.object({
  id: z.uuid(),
  name: z.string().trim().min(1).max(200).optional(),
  roles: roles.optional(),
  active: z.boolean().optional(),
});
export const listUsersInput = pageInput.extend({
  search: z.string().trim().min(1).max(200).optional(),
  role: z.enum(ROLES).optional(),
  active: z.boolean().optional(),
});

const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  roles: users.roles,
  active: users.active,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};
export type User = {
  id: string;
  email: string;
  name: string;
  roles: (typeof ROLES)[number][];
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
};

const abilityColumns = { id: users.id, active: users.active };

export async function getUser(db: Executor, id: string): Promise<User | null> {
  const [row] = await db.select(userColumns).from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function listUsers(db: Executor, ability: AppAbility, input: z.infer<typeof listUsersInput>) {
  const pattern = input.search ? `%${input.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  const filters: (SQL | undefined)[] = [
    accessibleWhere(ability, 'read', 'User', abilityColumns),
    pattern ? or(ilike(users.name, pattern), ilike(users.email, pattern)) : undefined,
    input.role ? arrayContains(users.roles, [input.role]) : undefined,
    input.active === undefined ? undefined : eq(users.active, input.active),
    input.cursor ? gt(users.id, checkCursor(input.cursor, (c) => (z.uuid().safeParse(c).success ? c : undefined))) : undefined,
  ];
  const rows = await db
    .select(userColumns)
    .from(users)
    .where(and(...filters))
    .orderBy(asc(users.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

export async function createUser(db: Database, actor: Actor, input: z.infer<typeof createUserInput>): Promise<User> {
  try {
    return await db.transaction(async (tx) => {
      const [created] = await tx.insert(users).values(input).returning(userColumns);
      if (!created) throw new Error('insert returned no row');
      await recordActivity(tx, actor, { action: 'user.create', entityType: 'user', entityId: created.id, after: created });
      return created;
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      throw new AppError('CONFLICT', `A user with email ${input.email} already exists`);
    }
    throw error;
  }
}

export async function updateUser(db: Database, actor: Actor, input: z.infer<typeof updateUserInput>): Promise<User> {
  const { id, ...changes } = input;
  return db.transaction(async (tx) => {
    const [before] = await tx.select(userColumns).from(users).where(eq(users.id, id)).for('update');
    if (!before) throw notFound('User', id);
    const [after] = await tx
      .update(users)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning(userColumns);
    if (!after) throw notFound('User', id);
    const { updatedAt: _b, ...beforeFields } = before;
    const { updatedAt: _a, ...afterFields } = after;
    await recordActivity(tx, actor, { action: 'user.update', entityType: 'user', entityId: id, before: beforeFields, after: afterFields });
    return after;
  });
}
