import { and, desc, eq, isNull } from 'drizzle-orm';
import { partnerHolds, partners, type HoldKind } from '../../../db/schema/partners.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { toPage } from '../shared/pagination.js';
import { afterCursorRow } from '../shared/keyset.js';
import { lockPartnerFacts } from './partner-row.js';
import type { ListHoldsInput, PlaceHoldInput, ReleaseHoldInput } from './schemas.js';

/** The source of holds placed by a person through compliance.placeHold; automation names its own (e.g. fraud_flag:<id>). */
export const MANUAL_HOLD_SOURCE = 'manual';

export const holdColumns = {
  id: partnerHolds.id,
  partnerId: partnerHolds.partnerId,
  kind: partnerHolds.kind,
  reason: partnerHolds.reason,
  source: partnerHolds.source,
  createdBy: partnerHolds.createdBy,
  createdAt: partnerHolds.createdAt,
  releasedAt: partnerHolds.releasedAt,
  releasedBy: partnerHolds.releasedBy,
};

/** Hold fields the CASL rules may name; `managerId` is the held partner's manager. */
const holdAbilityColumns = { partnerId: partnerHolds.partnerId, managerId: partners.managerId, kind: partnerHolds.kind };

export interface OpenHoldInput {
  partnerId: string;
  kind: HoldKind;
  reason: string;
  source: string;
}

/**
 * Opens a hold inside the caller's transaction (with its audit row). A partner has at most one open hold per kind
 * and source: when one is already open it is returned with `created: false`, so automation may call this repeatedly.
 */
export async function openHold(tx: Executor, actor: Actor, input: OpenHoldInput) {
  const [created] = await tx
    .insert(partnerHolds)
    .values({ ...input, createdBy: actor.userId })
    .onConflictDoNothing()
    .returning(holdColumns);
  if (created) {
    await recordActivity(tx, actor, { action: 'hold.place', entityType: 'partner_hold', entityId: created.id, after: created });
    return { hold: created, created: true };
  }
  const [existing] = await tx
    .select(holdColumns)
    .from(partnerHolds)
    .where(
      and(
        eq(partnerHolds.partnerId, input.partnerId),
        eq(partnerHolds.kind, input.kind),
        eq(partnerHolds.source, input.source),
        isNull(partnerHolds.releasedAt),
      ),
    );
  if (!existing) throw new Error('hold insert conflicted but no open hold exists');
  return { hold: existing, created: false };
}

/** A person's hold: CONFLICT when the partner already has an open manual hold of this kind. */
export async function placeHold(db: Database, actor: Actor, input: PlaceHoldInput) {
  return db.transaction(async (tx) => {
    await lockPartnerFacts(tx, input.partnerId);
    const { hold, created } = await openHold(tx, actor, { ...input, source: MANUAL_HOLD_SOURCE });
    if (!created) {
      throw new AppError('CONFLICT', `Partner ${input.partnerId} already has an open ${input.kind} hold (${hold.id})`, {
        holdId: hold.id,
      });
    }
    return hold;
  });
}

export async function releaseHold(db: Database, actor: Actor, input: ReleaseHoldInput) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select(holdColumns).from(partnerHolds).where(eq(partnerHolds.id, input.holdId)).for('update');
    if (!before) throw notFound('Hold', input.holdId);
    if (before.releasedAt) {
      throw new AppError(
        'CONFLICT',
        `Hold ${before.id} is released (at ${before.releasedAt.toISOString()} by ${before.releasedBy}); it cannot be released again`,
        { current: 'released', requested: 'released' },
      );
    }
    const [after] = await tx
      .update(partnerHolds)
      .set({ releasedAt: new Date(), releasedBy: actor.userId })
      .where(eq(partnerHolds.id, input.holdId))
      .returning(holdColumns);
    if (!after) throw notFound('Hold', input.holdId);
    await recordActivity(tx, actor, {
      action: 'hold.release',
      entityType: 'partner_hold',
      entityId: after.id,
      before,
      after: { ...after, releaseReason: input.reason },
    });
    return after;
  });
}

/** Newest first; the cursor is the last hold's id. Narrowed to the holds the caller may read. */
export async function listHolds(db: Executor, ability: AppAbility, input: ListHoldsInput) {
  const order = [partnerHolds.createdAt, partnerHolds.id];
  const rows = await db
    .select(holdColumns)
    .from(partnerHolds)
    .innerJoin(partners, eq(partners.id, partnerHolds.partnerId))
    .where(
      and(
        accessibleWhere(ability, 'read', 'Hold', holdAbilityColumns),
        input.partnerId ? eq(partnerHolds.partnerId, input.partnerId) : undefined,
        input.state === 'open' ? isNull(partnerHolds.releasedAt) : undefined,
        input.cursor ? afterCursorRow(partnerHolds, partnerHolds.id, order, 'desc', input.cursor) : undefined,
      ),
    )
    .orderBy(...order.map((key) => desc(key)))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}
