import { and, eq, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { NOTIFICATION_CHANNELS, notificationPreferences, type NotificationChannel } from '../../../db/schema/notifications.js';
import { partners } from '../../../db/schema/partners.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { authorizePartner, partnerAbilityColumns, type Caller } from '../partners/access.js';
import { notificationKinds, PARTNER_KINDS } from './kinds.js';
import type { SetPreferencesInput } from './schemas.js';

export interface PreferenceView {
  kind: (typeof PARTNER_KINDS)[number];
  essential: boolean;
  channels: Record<NotificationChannel, boolean>;
}

async function partnerForAccess(db: Executor, partnerId: string) {
  const [partner] = await db
    .select(partnerAbilityColumns)
    .from(partners)
    .where(eq(partners.id, partnerId));
  if (!partner) throw notFound('Partner', partnerId);
  return partner;
}

/** Every partner-facing kind with whether each channel is on; essential kinds are always on. */
export async function partnerPreferences(db: Executor, partnerId: string): Promise<{ partnerId: string; preferences: PreferenceView[] }> {
  await partnerForAccess(db, partnerId);
  const optedOut = await db
    .select({ kind: notificationPreferences.kind, channel: notificationPreferences.channel })
    .from(notificationPreferences)
    .where(eq(notificationPreferences.partnerId, partnerId));
  const off = new Set(optedOut.map((row) => `${row.kind}:${row.channel}`));
  return {
    partnerId,
    preferences: PARTNER_KINDS.map((kind) => {
      const essential = notificationKinds[kind].essential;
      const channels = Object.fromEntries(
        NOTIFICATION_CHANNELS.map((channel) => [channel, essential || !off.has(`${kind}:${channel}`)]),
      ) as Record<NotificationChannel, boolean>;
      return { kind, essential, channels };
    }),
  };
}

/** Turns kinds on or off per channel for a partner. Essential kinds and staff kinds cannot be turned off. */
export async function setPartnerPreferences(db: Database, caller: Caller, input: SetPreferencesInput) {
  input.preferences.forEach((preference, index) => {
    const definition = notificationKinds[preference.kind];
    const field = `preferences.${index}.kind`;
    if (definition.audience !== 'partner') {
      throw new AppError('BAD_REQUEST', `Invalid input: ${field}: ${preference.kind} is not sent to partners`, { field });
    }
    if (definition.essential && !preference.enabled) {
      throw new AppError('BAD_REQUEST', `Invalid input: ${field}: ${preference.kind} is an essential notice and cannot be turned off`, {
        field,
      });
    }
  });
  return db.transaction(async (tx) => {
    const partner = await partnerForAccess(tx, input.partnerId);
    authorizePartner(caller, 'update', partner);
    // The last word on a (kind, channel) pair wins when a request names it twice.
    const wanted = [...new Map(input.preferences.map((preference) => [`${preference.kind}:${preference.channel}`, preference])).values()];
    const disable = wanted.filter((preference) => !preference.enabled);
    const enable = wanted.filter((preference) => preference.enabled);
    if (disable.length > 0) {
      await tx
        .insert(notificationPreferences)
        .values(disable.map(({ kind, channel }) => ({ partnerId: partner.id, kind, channel, optedOutBy: caller.actor.userId })))
        .onConflictDoNothing();
    }
    if (enable.length > 0) {
      const pairs = JSON.stringify(enable.map(({ kind, channel }) => ({ kind, channel })));
      await tx.delete(notificationPreferences).where(
        and(
          eq(notificationPreferences.partnerId, partner.id),
          sql`(${notificationPreferences.kind}, ${notificationPreferences.channel}) in
              (select kind, channel from jsonb_to_recordset(${pairs}::jsonb) as p(kind text, channel text))`,
        ),
      );
    }
    await recordActivity(tx, caller.actor, {
      action: 'notification.preferences',
      entityType: 'partner',
      entityId: partner.id,
      after: { preferences: input.preferences },
    });
    return partnerPreferences(tx, partner.id);
  });
}
