import { sql, type SQL } from 'drizzle-orm';
import { programRules } from '../programs/configuration.js';

/**
 * SQL access to a stored program configuration, for set-based statements that apply many events' configurations
 * at once. Versions are stored parsed (defaults filled in); the defaults here only guard older rows.
 */
const defaults = programRules.parse({});

type IntRule = 'cookieWindowDays' | 'holdDays';
type FraudRule = keyof typeof defaults.fraud;

export function versionInForce(programId: SQL, at: SQL): SQL {
  // The same choice as programs/versions.ts `configurationAt`: latest effective_from at or before `at`, the higher
  // version winning a tie.
  return sql`(
    select pv.version, pv.configuration from program_versions pv
    where pv.program_id = ${programId} and pv.effective_from <= ${at}
    order by pv.effective_from desc, pv.version desc limit 1)`;
}

export function intRule(configuration: SQL, rule: IntRule): SQL {
  return sql`coalesce((${configuration} #>> ${`{rules,${rule}}`}::text[])::int, ${defaults[rule]}::int)`;
}

export function fraudThreshold(configuration: SQL, rule: FraudRule): SQL {
  return sql`coalesce((${configuration} #>> ${`{rules,fraud,${rule}}`}::text[])::int, ${defaults.fraud[rule]}::int)`;
}

export function selfReferralAllowed(configuration: SQL): SQL {
  return sql`coalesce((${configuration} #>> '{rules,selfReferralAllowed}')::boolean, ${defaults.selfReferralAllowed}::boolean)`;
}
