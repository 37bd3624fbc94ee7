import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { PartnerStatus } from '../../db/schema/partners.js';
import type { Role } from '../../db/schema/users.js';
import { programConfiguration } from '../../server/domain/programs/configuration.js';

const unique = () => randomBytes(5).toString('hex');

async function one<T>(db: Executor, query: ReturnType<typeof sql>): Promise<T> {
  const result = await db.execute(query);
  return result.rows[0] as T;
}

/** A program with tiers in order (the last is the top tier) and version 1 of its configuration. */
export async function createProgram(
  db: Executor,
  options: { tiers?: string[]; currency?: string; inactivityDays?: number; status?: 'active' | 'archived' } = {},
): Promise<{ id: string; name: string }> {
  const name = `Program ${unique()}`;
  const configuration = programConfiguration.parse({
    commissionTiers: (options.tiers ?? ['Silver', 'Gold']).map((tier, index) => ({ name: tier, rateType: 'percentage', value: 500 * (index + 1) })),
    rules: options.inactivityDays ? { inactivityDays: options.inactivityDays } : {},
  });
  const program = await one<{ id: string }>(
    db,
    sql`insert into programs (name, currency, status) values (${name}, ${options.currency ?? 'USD'}, ${options.status ?? 'active'}) returning id`,
  );
  await db.execute(sql`
    insert into program_versions (program_id, version, configuration, reason, created_by)
    values (${program.id}, 1, ${JSON.stringify(configuration)}::jsonb, 'test', 'test')`);
  return { id: program.id, name };
}

export interface TestPartner {
  id: string;
  email: string;
}

/** A partner row inserted directly; defaults to an active partner without program or manager. */
export async function createPartner(
  db: Executor,
  options: {
    programId?: string;
    tier?: string;
    status?: PartnerStatus;
    managerId?: string;
    lastActivityAt?: Date;
    erased?: boolean;
  } = {},
): Promise<TestPartner> {
  const code = unique();
  const email = `partner-${code}@example.com`;
  return one<TestPartner>(
    db,
    sql`insert into partners (referral_code, status, name, email, country, program_id, tier, manager_id, activated_at, last_activity_at, erased_at)
        values (${`REF-${code}`}, ${options.status ?? 'active'}, ${`Partner ${code}`}, ${email}, 'US', ${options.programId ?? null},
                ${options.tier ?? null}, ${options.managerId ?? null}, now() - interval '400 days', ${options.lastActivityAt ?? new Date()},
                ${options.erased ? new Date() : null})
        returning id, email`,
  );
}

export async function createStaffUser(db: Executor, roles: Role[], options: { active?: boolean } = {}): Promise<{ id: string; email: string }> {
  const email = `staff-${unique()}@example.com`;
  return one(
    db,
    sql`insert into users (email, name, roles, active) values (${email}, 'Staff Member', ${sql.raw(`array[${roles.map((role) => `'${role}'`).join(',')}]::text[]`)}, ${options.active ?? true})
        returning id, email`,
  );
}
