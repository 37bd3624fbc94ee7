import { subject } from '@casl/ability';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { partners } from '../../../db/schema/partners.js';
import { programs } from '../../../db/schema/programs.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { AppError, notFound } from '../../errors.js';
import type { Caller } from '../partners/access.js';

/**
 * Analytics are narrowed by the partners they are about: the CASL rules for ('read', 'Analytics') name partner
 * fields (a partner manager's rule: `managerId` = themselves), mapped here to the partners table's columns.
 */
const analyticsColumns = {
  partnerId: partners.id,
  managerId: partners.managerId,
  programId: partners.programId,
};

export interface PartnerFacts {
  id: string;
  managerId: string | null;
  programId: string | null;
}

/** A condition on the (unaliased) partners table, or null when the caller may read every partner's analytics. */
export function analyticsScope(ability: AppAbility): SQL | null {
  const rules = ability.rulesFor('read', 'Analytics');
  const unrestricted = rules.every((rule) => !rule.inverted) && rules.some((rule) => !rule.conditions);
  return unrestricted ? null : accessibleWhere(ability, 'read', 'Analytics', analyticsColumns);
}

/** A condition keeping rows whose `partnerId` column is a partner the caller may read analytics of. */
export function partnerInScope(ability: AppAbility, partnerId: SQL): SQL {
  const scope = analyticsScope(ability);
  return scope ? sql`${partnerId} in (select ${partners.id} from ${partners} where ${scope})` : sql`true`;
}

/** The partner a partner-level query is about, with what its authorization needs; NOT_FOUND when it does not exist. */
export async function loadPartner(db: Executor, partnerId: string): Promise<PartnerFacts> {
  const [partner] = await db
    .select({ id: partners.id, managerId: partners.managerId, programId: partners.programId })
    .from(partners)
    .where(eq(partners.id, partnerId));
  if (!partner) throw notFound('Partner', partnerId);
  return partner;
}

export async function requireProgram(db: Executor, programId: string): Promise<void> {
  const [program] = await db.select({ id: programs.id }).from(programs).where(eq(programs.id, programId));
  if (!program) throw notFound('Program', programId);
}

/** FORBIDDEN unless the caller may read this partner's analytics. */
export function authorizePartnerAnalytics(caller: Caller, partner: PartnerFacts): void {
  const facts = { partnerId: partner.id, managerId: partner.managerId, programId: partner.programId };
  if (caller.ability.can('read', subject('Analytics', facts) as never)) return;
  const roles = caller.actor.roles.join(', ');
  throw new AppError('FORBIDDEN', `Forbidden: your roles (${roles}) may not read the analytics of partner ${partner.id} (only of partners you manage)`);
}

/** What a program-level query covers: one program or all, narrowed to the partners the caller may read. */
export interface Selection {
  programId: string | null;
  /** On the unaliased partners table: the partner is in the program (now) and the caller may read it. */
  partners: SQL;
  /** On a partner id column: the caller may read that partner (whatever its program). */
  readable(partnerId: SQL): SQL;
  /** On a rollup row `alias`: the row is the program's (by the event's program) and its partner readable. */
  rows(alias: string): SQL;
}

export function selectionFor(ability: AppAbility, programId: string | undefined): Selection {
  const scope = analyticsScope(ability);
  const inProgram = programId ? sql`${partners.programId} = ${programId}::uuid` : undefined;
  return {
    programId: programId ?? null,
    partners: and(inProgram, scope ?? undefined) ?? sql`true`,
    readable: (partnerId) => partnerInScope(ability, partnerId),
    rows: (alias) => {
      const row = sql.raw(alias);
      return and(programId ? sql`${row}.program_id = ${programId}::uuid` : undefined, partnerInScope(ability, sql`${row}.partner_id`))!;
    },
  };
}
