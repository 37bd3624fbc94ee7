import type { SQL } from 'drizzle-orm';
import { programs } from '../../../db/schema/programs.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';

/** Program fields the CASL rules may name, mapped to columns for list queries. */
const programAbilityColumns = { id: programs.id, status: programs.status };

/** A SQL condition: the programs the caller may read. */
export function readablePrograms(ability: AppAbility): SQL {
  return accessibleWhere(ability, 'read', 'Program', programAbilityColumns);
}
