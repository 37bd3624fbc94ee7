import { eq } from 'drizzle-orm';
import { partners } from '../../../db/schema/partners.js';
import { programs } from '../../../db/schema/programs.js';
import type { ReasonCode } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import type { ProgramConfiguration } from '../programs/configuration.js';
import { emitEvent } from '../webhooks/events.js';
import type { LifecycleAction } from './status-machine.js';

/**
 * What partner changes tell the outside world, in the changing transaction (both are outboxes, delivered by jobs
 * after commit): a webhook event for subscribed internal tools (ids and codes only, never PII or notes) and a notice
 * to the partner. The dedupe key is the history row, so a retried job or mutation never notifies twice.
 */

export interface AnnouncedStatusChange {
  partnerId: string;
  action: LifecycleAction;
  fromStatus: string;
  toStatus: string;
  reasonCode: ReasonCode | null;
  note: string | null;
  historyId: number;
  at: Date;
}

async function programAndCode(tx: Executor, partnerId: string) {
  const [row] = await tx
    .select({ programName: programs.name, referralCode: partners.referralCode })
    .from(partners)
    .leftJoin(programs, eq(programs.id, partners.programId))
    .where(eq(partners.id, partnerId));
  return row!;
}

export async function announceStatusChange(tx: Executor, change: AnnouncedStatusChange): Promise<void> {
  const { partnerId, historyId } = change;
  const event = { partnerId, fromStatus: change.fromStatus, toStatus: change.toStatus, reasonCode: change.reasonCode, at: change.at.toISOString() };
  const dedupeKey = `status-history:${historyId}`;
  const reason = { reasonCode: change.reasonCode ?? 'other', note: change.note };
  switch (change.action) {
    case 'activate': {
      const { programName, referralCode } = await programAndCode(tx, partnerId);
      await emitEvent(tx, { type: 'partner.activated', payload: event });
      await enqueueNotifications(tx, { kind: 'partner_activated', recipients: [{ partnerId, dedupeKey, variables: { programName, referralCode } }] });
      return;
    }
    case 'suspend':
      await emitEvent(tx, { type: 'partner.suspended', payload: event });
      await enqueueNotifications(tx, { kind: 'partner_suspended', recipients: [{ partnerId, dedupeKey, variables: reason }] });
      return;
    case 'reactivate':
      await emitEvent(tx, { type: 'partner.reactivated', payload: event });
      await enqueueNotifications(tx, { kind: 'partner_reactivated', recipients: [{ partnerId, dedupeKey, variables: { note: change.note } }] });
      return;
    case 'terminate':
      await emitEvent(tx, { type: 'partner.terminated', payload: event });
      await enqueueNotifications(tx, { kind: 'partner_terminated', recipients: [{ partnerId, dedupeKey, variables: reason }] });
      return;
    default:
      return;
  }
}

export async function announceApplication(tx: Executor, partnerId: string, historyId: number, at: Date): Promise<void> {
  await emitEvent(tx, { type: 'partner.applied', payload: { partnerId, at: at.toISOString() } });
  await enqueueNotifications(tx, {
    kind: 'application_received',
    recipients: [{ partnerId, dedupeKey: `status-history:${historyId}`, variables: { programName: null, receivedAt: at } }],
  });
}

export interface AnnouncedTierChange {
  partnerId: string;
  programId: string;
  fromTier: string | null;
  toTier: string;
  historyId: number;
  at: Date;
  configuration: ProgramConfiguration;
}

/** The notice carries the new tier's rates, as the program's current configuration defines them. */
export async function announceTierChange(tx: Executor, change: AnnouncedTierChange): Promise<void> {
  const [program] = await tx.select({ name: programs.name, currency: programs.currency }).from(programs).where(eq(programs.id, change.programId));
  const tier = change.configuration.commissionTiers.find((candidate) => candidate.name === change.toTier)!;
  await emitEvent(tx, {
    type: 'partner.tier_changed',
    payload: { partnerId: change.partnerId, programId: change.programId, fromTier: change.fromTier, toTier: change.toTier, at: change.at.toISOString() },
  });
  await enqueueNotifications(tx, {
    kind: 'tier_changed',
    recipients: [
      {
        partnerId: change.partnerId,
        dedupeKey: `tier-history:${change.historyId}`,
        variables: {
          programName: program!.name,
          fromTier: change.fromTier,
          toTier: change.toTier,
          currency: program!.currency,
          rate: { rateType: tier.rateType, value: tier.value },
          recurringMonths: tier.recurringMonths,
          overrides: tier.overrides.map(({ level, rateType, value }) => ({ level, rateType, value })),
          effectiveAt: change.at,
        },
      },
    ],
  });
}
