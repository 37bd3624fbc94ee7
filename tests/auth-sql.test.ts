import { AbilityBuilder, createMongoAbility, subject } from '@casl/ability';
import { asc, sql } from 'drizzle-orm';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import type { Role } from '../db/schema/users.js';
import { ACTIONS, defineAbilityFor, type Action, type AppAbility } from '../server/auth/abilities.js';
import { accessibleWhere } from '../server/auth/sql.js';
import { createTestDatabase } from './helpers/db.js';

/**
 * A stand-in for partners with every field the role rules name (a rule on a new field needs a column here);
 * nullable columns on purpose, for SQL's NULL logic.
 */
const scratchPartners = pgTable('scratch_partners', {
  id: integer('id').primaryKey(),
  managerId: text('manager_id'),
  status: text('status'),
  tier: integer('tier').notNull(),
  suspensionReason: text('suspension_reason'),
});
const columns = {
  id: scratchPartners.id,
  managerId: scratchPartners.managerId,
  status: scratchPartners.status,
  tier: scratchPartners.tier,
  suspensionReason: scratchPartners.suspensionReason,
};
type Row = typeof scratchPartners.$inferSelect;

const database = await createTestDatabase();
await database.db.execute(sql`
  create table scratch_partners (
    id integer primary key, manager_id text, status text, tier integer not null, suspension_reason text)`);
const managers = ['m1', 'm2', null];
const statuses = ['active', 'suspended', 'terminated', null];
const reasons = ['compliance', 'fraud', null];
// id = 1000·reason + 100·manager + 10·status + tier, so a failure message says which row it is.
const rows: Row[] = reasons.flatMap((suspensionReason, r) =>
  managers.flatMap((managerId, m) =>
    statuses.flatMap((status, s) =>
      [1, 2, 3].map((tier) => ({ id: r * 1000 + m * 100 + s * 10 + tier, managerId, status, tier, suspensionReason })),
    ),
  ),
);
await database.db.insert(scratchPartners).values(rows);

async function sqlIds(ability: AppAbility, action: Action): Promise<number[]> {
  const found = await database.db
    .select({ id: scratchPartners.id })
    .from(scratchPartners)
    .where(accessibleWhere(ability, action, 'Partner', columns))
    .orderBy(asc(scratchPartners.id));
  return found.map((row) => row.id);
}

function caslIds(ability: AppAbility, action: Action): number[] {
  // `subject` tags the object it is given, so hand it a copy.
  return rows.filter((row) => ability.can(action, subject('Partner', { ...row } as Record<string, unknown>))).map((row) => row.id);
}

async function mismatches(ability: AppAbility, actions: readonly Action[]): Promise<string[]> {
  const found: string[] = [];
  for (const action of actions) {
    const [inSql, inCasl] = [await sqlIds(ability, action), caslIds(ability, action)];
    if (JSON.stringify(inSql) !== JSON.stringify(inCasl)) {
      found.push(`${action}: SQL ${JSON.stringify(inSql)} vs CASL ${JSON.stringify(inCasl)}`);
    }
  }
  return found;
}

describe('accessibleWhere returns exactly the rows the ability accepts', () => {
  const principals: Record<string, Role[]> = {
    partner_manager: ['partner_manager'],
    program_manager: ['program_manager'],
    compliance_officer: ['compliance_officer'],
    affiliate_admin: ['affiliate_admin'],
    'no roles': [],
    'partner and program manager': ['partner_manager', 'program_manager'],
  };

  for (const [name, roles] of Object.entries(principals)) {
    it(`for ${name}, on every action`, async () => {
      expect(await mismatches(defineAbilityFor({ userId: 'm1', roles }), ACTIONS)).toEqual([]);
    });
  }

  it("narrows a partner manager's updates to the partners they manage", async () => {
    const ids = await sqlIds(defineAbilityFor({ userId: 'm2', roles: ['partner_manager'] }), 'update');
    expect(ids).toEqual(rows.filter((row) => row.managerId === 'm2').map((row) => row.id));
    expect(ids).toHaveLength(36);
  });

  it('gives no rows without a permission and every row with an unconditional one', async () => {
    expect(await sqlIds(defineAbilityFor({ userId: 'm1', roles: [] }), 'read')).toEqual([]);
    expect(await sqlIds(defineAbilityFor({ userId: 'm1', roles: ['compliance_officer'] }), 'read')).toHaveLength(rows.length);
  });

  it('honours cannot rules, $in and $ne, also on NULL columns', async () => {
    const { can, cannot, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
    const rule = (query: object) => query as never;
    can('update', 'Partner', rule({ managerId: { $in: ['m1', 'm2'] } }));
    cannot('update', 'Partner', rule({ status: 'terminated' }));
    can('read', 'Partner', rule({ managerId: { $ne: 'm1' } }));
    can('suspend', 'Partner', rule({ status: { $nin: ['terminated', 'suspended'] } }));
    can('review', 'Partner');
    cannot('review', 'Partner', rule({ status: { $in: ['suspended', 'terminated'] }, tier: { $ne: 1 } }));
    can('export', 'Partner', rule({ status: null }));
    cannot('erase', 'Partner');
    const ability = build();

    expect(await mismatches(ability, ['update', 'read', 'suspend', 'review', 'export', 'erase', 'delete'])).toEqual([]);
    // The NULL rows are what a naive translation gets wrong: `manager_id <> 'm1'` is not true for NULL.
    expect(await sqlIds(ability, 'read')).toEqual(expect.arrayContaining([201, 231]));
    expect(await sqlIds(ability, 'update')).toEqual(expect.arrayContaining([31]));
    expect(await sqlIds(ability, 'update')).not.toEqual(expect.arrayContaining([21]));
  });

  it('refuses a rule that names a field without a mapped column', async () => {
    const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
    can('read', 'Partner', { region: 'eu' } as never);
    expect(() => accessibleWhere(build(), 'read', 'Partner', columns)).toThrow(/No column mapped for Partner\.region/);
  });
});
