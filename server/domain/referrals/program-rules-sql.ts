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

/**
 * The versions of the programs `programIds` selects, each with the span it is in force, [effective_from,
 * effective_until): the choice of `versionInForce` for many events at once, by one hash join on the program instead
 * of an index probe per event. Of two versions effective at the same instant the lower gets an empty span.
 */
export function versionSpans(programIds: SQL): SQL {
  return sql`(
    select pv.program_id, pv.version, pv.configuration, pv.effective_from,
      lead(pv.effective_from) over (partition by pv.program_id order by pv.effective_from, pv.version) as effective_until
    from program_versions pv where pv.program_id in (${programIds}))`;
}

/** Whether the version row `v` of `versionSpans` is the one in force at `at`. */
export function spanCovers(v: SQL, at: SQL): SQL {
  return sql`${v}.effective_from <= ${at} and (${v}.effective_until is null or ${at} < ${v}.effective_until)`;
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
