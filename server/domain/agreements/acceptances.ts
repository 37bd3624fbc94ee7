import { and, asc, Column, eq, getTableName, is, isNull, not, notInArray, sql, type SQL } from 'drizzle-orm';
import { agreementAcceptances, agreementVersions } from '../../../db/schema/agreements.js';
import { partners, type PartnerStatus } from '../../../db/schema/partners.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { afterCursorRow } from '../shared/keyset.js';
import { lockPartnerFacts } from '../compliance/partner-row.js';
import { authorizePartner, readableSql, type Caller } from '../partners/access.js';
import { toPage } from '../shared/pagination.js';
import type { AgreementStatusInput, RecordAcceptanceInput } from './schemas.js';

/** Partners who never need to accept anything again. */
const CLOSED_STATUSES: PartnerStatus[] = ['rejected', 'terminated'];

/**
 * A column with its table name. Drizzle writes columns bare in the select list of a one-table query; inside these
 * subqueries a bare `id` would be ambiguous or bind to the wrong table, wherever the condition is used.
 */
function qualified(column: Column): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
}

const versionNumber = qualified(agreementVersions.version);
const acceptedVersionsOf = (partnerId: Column | SQL) =>
  sql`${agreementAcceptances} inner join ${agreementVersions} on ${qualified(agreementVersions.id)} = ${qualified(agreementAcceptances.agreementVersionId)} where ${qualified(agreementAcceptances.partnerId)} = ${partnerId}`;

/**
 * The oldest version whose acceptance still satisfies the current terms: the latest version that required
 * re-acceptance (the first version always binds, whatever its flag). Null while no agreement exists.
 */
export const requiredVersionSql = sql`(select coalesce(max(${versionNumber}) filter (where ${qualified(agreementVersions.requiresReacceptance)}), min(${versionNumber})) from ${agreementVersions})`;

/**
 * The one definition of "has accepted the current agreement", as a SQL condition on a partner id: an acceptance of
 * the required version or any later one. An editorial version (requiresReacceptance false) therefore keeps earlier
 * acceptances valid; a version that requires re-acceptance resets everyone. False while no agreement exists.
 */
export function acceptedCurrentAgreementSql(partnerId: Column | SQL): SQL {
  const id = is(partnerId, Column) ? qualified(partnerId) : partnerId;
  return sql`exists (select 1 from ${acceptedVersionsOf(id)} and ${versionNumber} >= ${requiredVersionSql})`;
}

/**
 * `acceptedCurrentAgreementSql` read from the partners row (unaliased) instead: its `accepted_agreement_version`,
 * which a trigger on agreement_acceptances keeps (migration 0024). For scans over many partners.
 */
export const partnerRowAcceptedCurrentAgreementSql = sql`coalesce(${qualified(partners.acceptedAgreementVersion)} >= ${requiredVersionSql}, false)`;

/** See `acceptedCurrentAgreementSql`. False for a partner that does not exist. */
export async function currentAgreementAccepted(db: Executor, partnerId: string): Promise<boolean> {
  const result = await db.execute<{ accepted: boolean }>(
    sql`select ${acceptedCurrentAgreementSql(sql`${partnerId}::uuid`)} as accepted`,
  );
  return result.rows[0]?.accepted === true;
}

const acceptanceColumns = {
  id: agreementAcceptances.id,
  partnerId: agreementAcceptances.partnerId,
  version: agreementVersions.version,
  acceptedAt: agreementAcceptances.acceptedAt,
  ipAddress: agreementAcceptances.ipAddress,
  userAgent: agreementAcceptances.userAgent,
  recordedBy: agreementAcceptances.recordedBy,
  recordedAt: agreementAcceptances.recordedAt,
};

/**
 * Records that a partner accepted the current version. Only the current version can be accepted (CONFLICT for an
 * older one); recording the same acceptance again returns the first record (`alreadyRecorded`) and changes nothing,
 * so a client may retry safely.
 */
export async function recordAcceptance(db: Database, caller: Caller, input: RecordAcceptanceInput) {
  return db.transaction(async (tx) => {
    const partner = await lockPartnerFacts(tx, input.partnerId);
    authorizePartner(caller, 'update', partner);
    if (partner.erasedAt) {
      throw new AppError('CONFLICT', `Partner ${partner.id} was erased; it cannot accept an agreement`, {
        current: 'erased',
        requested: 'accepted',
      });
    }
    if (CLOSED_STATUSES.includes(partner.status as PartnerStatus)) {
      throw new AppError('CONFLICT', `Partner is ${partner.status}; it cannot accept an agreement`, {
        current: partner.status,
        requested: 'accepted',
      });
    }
    const [terms] = await tx
      .select({
        id: agreementVersions.id,
        publishedAt: agreementVersions.publishedAt,
        latest: sql<number>`(select max(${agreementVersions.version}) from ${agreementVersions})`,
      })
      .from(agreementVersions)
      .where(eq(agreementVersions.version, input.version));
    if (!terms) throw notFound('Agreement version', input.version);
    if (input.version < terms.latest) {
      throw new AppError(
        'CONFLICT',
        `Agreement version ${input.version} is not the current version ${terms.latest}; only the current version can be accepted`,
        { current: terms.latest, requested: input.version },
      );
    }
    const acceptedAt = input.acceptedAt ?? new Date();
    if (acceptedAt < terms.publishedAt) {
      throw new AppError(
        'BAD_REQUEST',
        `Invalid input: acceptedAt: is before version ${input.version} was published (${terms.publishedAt.toISOString()})`,
        { field: 'acceptedAt' },
      );
    }
    const [created] = await tx
      .insert(agreementAcceptances)
      .values({
        partnerId: partner.id,
        agreementVersionId: terms.id,
        acceptedAt,
        ipAddress: input.ipAddress,
        userAgent: input.userAgent,
        recordedBy: caller.actor.userId,
      })
      .onConflictDoNothing({ target: [agreementAcceptances.partnerId, agreementAcceptances.agreementVersionId] })
      .returning({ id: agreementAcceptances.id });
    const [acceptance] = await tx
      .select(acceptanceColumns)
      .from(agreementAcceptances)
      .innerJoin(agreementVersions, eq(agreementVersions.id, agreementAcceptances.agreementVersionId))
      .where(and(eq(agreementAcceptances.partnerId, partner.id), eq(agreementAcceptances.agreementVersionId, terms.id)));
    if (!acceptance) throw new Error('acceptance vanished after insert');
    if (created) {
      await recordActivity(tx, caller.actor, {
        action: 'agreement.accept',
        entityType: 'agreement_acceptance',
        entityId: acceptance.id,
        after: acceptance,
      });
    }
    return { ...acceptance, alreadyRecorded: !created };
  });
}

/**
 * Who has not accepted the current agreement: counts over every partner the caller may read (after the filters),
 * and a page of those still to accept, oldest partner first. Without a status filter, rejected and terminated
 * partners are left out; erased partners always are. One snapshot, so counts and page agree.
 */
export async function agreementStatus(db: Database, ability: AppAbility, input: AgreementStatusInput) {
  const accepted = acceptedCurrentAgreementSql(partners.id);
  const scope = and(
    readableSql(ability),
    isNull(partners.erasedAt),
    input.programId ? eq(partners.programId, input.programId) : undefined,
    input.status ? eq(partners.status, input.status) : notInArray(partners.status, CLOSED_STATUSES),
  );
  const order = [partners.createdAt, partners.id];
  return db.transaction(
    async (tx) => {
      const [terms] = await tx
        .select({
          currentVersion: sql<number | null>`max(${agreementVersions.version})`,
          requiredVersion: sql<number | null>`${requiredVersionSql}`,
        })
        .from(agreementVersions);
      const [counts] = await tx
        .select({
          partners: sql<number>`count(*)::int`,
          accepted: sql<number>`(count(*) filter (where ${accepted}))::int`,
        })
        .from(partners)
        .where(scope);
      const rows = await tx
        .select({
          id: partners.id,
          status: partners.status,
          programId: partners.programId,
          lastAcceptedVersion: sql<number | null>`(select max(${versionNumber}) from ${acceptedVersionsOf(qualified(partners.id))})`,
        })
        .from(partners)
        .where(
          and(
            scope,
            not(accepted),
            input.cursor ? afterCursorRow(partners, partners.id, order, 'asc', input.cursor) : undefined,
          ),
        )
        .orderBy(...order.map((key) => asc(key)))
        .limit(input.limit + 1);
      const total = counts?.partners ?? 0;
      const acceptedCount = counts?.accepted ?? 0;
      return {
        currentVersion: terms?.currentVersion ?? null,
        requiredVersion: terms?.requiredVersion ?? null,
        counts: { partners: total, accepted: acceptedCount, notAccepted: total - acceptedCount },
        ...toPage(rows, input.limit, (row) => row.id),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
