import { and, eq, inArray, isNull, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { partners } from '../../../db/schema/partners.js';
import { programs, programVersions } from '../../../db/schema/programs.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { partnerAbilityColumns } from '../partners/access.js';
import { programRules } from '../programs/configuration.js';
import type { TargetGroup } from './schemas.js';

const DEFAULT_INACTIVITY_DAYS = programRules.parse({}).inactivityDays;

const currentConfiguration = sql`${programVersions.configuration}`;
/** The program's last commission tier is its top one (tiers are ordered from entry level up). */
const topTier = sql`(${currentConfiguration} -> 'commissionTiers' -> -1 ->> 'name')`;
const inactivityDays = sql`coalesce((${currentConfiguration} -> 'rules' ->> 'inactivityDays')::int, ${DEFAULT_INACTIVITY_DAYS})`;
const lastSeen = sql`coalesce(${partners.lastActivityAt}, ${partners.activatedAt}, ${partners.createdAt})`;

function groupCondition(group: TargetGroup): SQL | undefined {
  switch (group.type) {
    case 'all':
      return undefined;
    case 'program':
      return eq(partners.programId, group.programId);
    case 'tier':
      return and(eq(partners.programId, group.programId), eq(partners.tier, group.tier));
    case 'partners':
      return inArray(partners.id, group.partnerIds);
    case 'high_performers':
      return and(
        eq(partners.status, 'active'),
        group.programId ? eq(partners.programId, group.programId) : undefined,
        sql`${partners.tier} = ${topTier}`,
      );
    case 'at_risk':
      return and(
        eq(partners.status, 'active'),
        group.programId ? eq(partners.programId, group.programId) : undefined,
        sql`${lastSeen} < now() - make_interval(days => ${inactivityDays})`,
      );
  }
}

/**
 * The partners a group names, as a subquery of ids: current partners (not rejected, terminated or erased) that the
 * caller may notify (a partner manager: the partners they manage).
 */
export function audienceQuery(db: Executor, ability: AppAbility, group: TargetGroup) {
  return db
    .select({ id: partners.id })
    .from(partners)
    .leftJoin(programs, eq(programs.id, partners.programId))
    .leftJoin(programVersions, and(eq(programVersions.programId, partners.programId), eq(programVersions.version, programs.currentVersion)))
    .where(
      and(
        accessibleWhere(ability, 'notify', 'Partner', partnerAbilityColumns),
        notInArray(partners.status, ['rejected', 'terminated']),
        isNull(partners.erasedAt),
        groupCondition(group),
      ),
    );
}
