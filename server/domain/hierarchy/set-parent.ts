import { eq } from 'drizzle-orm';
import { partners } from '../../../db/schema/partners.js';
import type { Database } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { assertWithinDepthLimit } from './depth-limit.js';
import { CLOSED_PARTNER_STATUSES, lockPartnerFor } from './partner-view.js';
import type { SetParentInput } from './schemas.js';
import { depthOf, isInSubtree, lockHierarchyForMove, moveSubtree, subtreeShape } from './tree.js';

export interface SetParentResult {
  partnerId: string;
  parentId: string | null;
  /** Levels above the partner after the move. */
  depth: number;
  /** Partners that moved: the partner and its whole downline. */
  moved: number;
}

/**
 * Moves a partner, with its whole downline, under a new parent (or makes it a root). Refused when the new parent
 * is in the partner's own downline (a cycle) or when any moved partner would end up deeper than the partner's
 * program allows (`rules.maxHierarchyDepth`). Both refusals are CONFLICT: they depend on the tree's current shape.
 */
export async function setParent(db: Database, actor: Actor, ability: AppAbility, input: SetParentInput): Promise<SetParentResult> {
  const { partnerId, parentId } = input;
  return db.transaction(async (tx) => {
    await lockHierarchyForMove(tx);
    const partner = await lockPartnerFor(tx, ability, 'update', partnerId, 'no key update');
    const before = await subtreeShape(tx, partnerId);
    if (partner.parentId === parentId) {
      return { partnerId, parentId, depth: before.depth, moved: 0 };
    }

    let parentDepth = -1;
    if (parentId !== null) {
      const [parent] = await tx.select({ status: partners.status }).from(partners).where(eq(partners.id, parentId)).for('share');
      if (!parent) throw notFound('Partner', parentId);
      if (CLOSED_PARTNER_STATUSES.includes(parent.status)) {
        throw new AppError('CONFLICT', `Partner ${parentId} is ${parent.status}; it cannot take partners into its downline`, {
          parentId,
          current: parent.status,
        });
      }
      if (await isInSubtree(tx, partnerId, parentId)) {
        throw new AppError(
          'CONFLICT',
          `Partner ${parentId} is in the downline of partner ${partnerId}; moving ${partnerId} under it would create a cycle`,
          { partnerId, parentId },
        );
      }
      parentDepth = await depthOf(tx, parentId);
    }

    const depth = parentDepth + 1;
    const deepest = depth + before.height;
    await assertWithinDepthLimit(tx, {
      programId: partner.programId,
      resultingDepth: deepest,
      placement: `Moving partner ${partnerId} there would put partner ${before.deepestId}`,
      details: { deepestPartnerId: before.deepestId },
    });

    await moveSubtree(tx, partnerId, parentId);
    await tx.update(partners).set({ parentId, updatedAt: new Date() }).where(eq(partners.id, partnerId));
    await recordActivity(tx, actor, {
      action: 'partner.set_parent',
      entityType: 'partner',
      entityId: partnerId,
      before: { parentId: partner.parentId, depth: before.depth },
      after: { parentId, depth },
    });
    return { partnerId, parentId, depth, moved: before.size };
  });
}
