import { eq } from 'drizzle-orm';
import { partners } from '../../../db/schema/partners.js';
import { users } from '../../../db/schema/users.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { lockPartnerFor } from './partner-view.js';
import type { AssignManagerInput } from './schemas.js';

/** The user must exist, be active and hold the partner_manager role; FOR SHARE keeps that true until commit. */
async function checkManager(tx: Executor, managerId: string): Promise<void> {
  const [user] = await tx
    .select({ active: users.active, roles: users.roles })
    .from(users)
    .where(eq(users.id, managerId))
    .for('share');
  if (!user) throw notFound('User', managerId);
  if (!user.active) {
    throw new AppError('PRECONDITION_FAILED', `User ${managerId} is inactive; only an active user can manage partners`, { managerId });
  }
  if (!user.roles.includes('partner_manager')) {
    throw new AppError('PRECONDITION_FAILED', `User ${managerId} lacks the partner_manager role`, { managerId, roles: user.roles });
  }
}

export async function assignManager(
  db: Database,
  actor: Actor,
  ability: AppAbility,
  input: AssignManagerInput,
): Promise<{ partnerId: string; managerId: string | null }> {
  const { partnerId, managerId } = input;
  return db.transaction(async (tx) => {
    const partner = await lockPartnerFor(tx, ability, 'assign', partnerId, 'no key update');
    if (managerId !== null) await checkManager(tx, managerId);
    if (partner.managerId === managerId) return { partnerId, managerId };
    await tx.update(partners).set({ managerId, updatedAt: new Date() }).where(eq(partners.id, partnerId));
    await recordActivity(tx, actor, {
      action: 'partner.assign_manager',
      entityType: 'partner',
      entityId: partnerId,
      before: { managerId: partner.managerId },
      after: { managerId },
    });
    return { partnerId, managerId };
  });
}
