import { and, eq, isNull, sql } from 'drizzle-orm';
import { enrollments, partners, partnerTierHistory } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import type { Caller } from './access.js';
import { announceTierChange } from './announce.js';
import { currentConfiguration, preconditionFailed, tierNames } from './prerequisites.js';
import type { ChangeTierInput } from './schemas.js';
import { isFinalStatus } from './status-machine.js';
import { loadPartnerFor } from './view.js';

export interface TierChange {
  partnerId: string;
  programId: string;
  fromTier: string | null;
  toTier: string;
  at: Date;
}

/**
 * partners.changeTier: moves an enrolled partner to another commission tier of their program's current
 * configuration. The open enrollment follows, so `partners.tier` and `enrollments.tier` never disagree.
 */
export async function changePartnerTier(db: Executor, caller: Caller, input: ChangeTierInput): Promise<TierChange> {
  return db.transaction(async (tx) => {
    const partner = await loadPartnerFor(tx, caller, 'enroll', input.partnerId);
    if (isFinalStatus(partner.status)) {
      throw new AppError('CONFLICT', `Partner is ${partner.status}; its tier cannot change`, { current: partner.status });
    }
    if (!partner.programId) {
      throw preconditionFailed(`change the tier of partner ${partner.id}`, [
        { requirement: 'enrollment', message: 'the partner is not enrolled in a program' },
      ]);
    }
    const configuration = (await currentConfiguration(tx, partner.programId))?.configuration;
    const tiers = tierNames(configuration);
    if (!tiers.includes(input.tier)) {
      throw new AppError('BAD_REQUEST', `Invalid input: tier: ${input.tier} is not a tier of program ${partner.programId} (${tiers.join(', ')})`, {
        field: 'tier',
      });
    }
    if (partner.tier === input.tier) {
      throw new AppError('CONFLICT', `Partner is already in tier ${input.tier}`, { current: partner.tier, requested: input.tier });
    }
    await tx.update(partners).set({ tier: input.tier, updatedAt: sql`now()` }).where(eq(partners.id, partner.id));
    await tx
      .update(enrollments)
      .set({ tier: input.tier })
      .where(and(eq(enrollments.partnerId, partner.id), isNull(enrollments.endedAt)));
    const [history] = await tx
      .insert(partnerTierHistory)
      .values({
        partnerId: partner.id,
        programId: partner.programId,
        fromTier: partner.tier,
        toTier: input.tier,
        reasonCode: input.reasonCode,
        note: input.note ?? null,
        actorId: caller.actor.userId,
      })
      .returning({ id: partnerTierHistory.id, at: partnerTierHistory.at });
    await recordActivity(tx, caller.actor, {
      action: 'partner.changeTier',
      entityType: 'partner',
      entityId: partner.id,
      before: { tier: partner.tier },
      after: { tier: input.tier, reasonCode: input.reasonCode, note: input.note ?? null },
    });
    const change = { partnerId: partner.id, programId: partner.programId, fromTier: partner.tier, toTier: input.tier, at: history!.at };
    await announceTierChange(tx, { ...change, historyId: history!.id, configuration: configuration! });
    return change;
  });
}
