import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import type { NotificationKind } from '../../../db/schema/notifications.js';
import { recordActivity } from '../audit/record.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import { parseTemplateVariables } from '../notifications/schemas.js';
import type { Caller } from '../partners/access.js';
import { audienceQuery } from './audience.js';
import type { NotifyPartnersInput } from './schemas.js';

/**
 * The source system's notifyPartners: one notification per partner of the group and channel, in one INSERT …
 * SELECT, narrowed to the partners the caller may notify. Returns how many partners the group held and how many
 * notifications were written (opt-outs of non-essential kinds are skipped).
 */
export async function notifyPartners(db: Database, caller: Caller, input: NotifyPartnersInput) {
  const { kind, variables } =
    input.message.type === 'free'
      ? { kind: 'custom_message' as NotificationKind, variables: { subject: input.message.subject, message: input.message.body } }
      : { kind: input.message.kind, variables: parseTemplateVariables(input.message.kind, input.message.variables, 'message.variables') };
  const campaignId = input.idempotencyKey ?? randomUUID();
  return db.transaction(async (tx) => {
    const result = await enqueueNotifications(tx, {
      kind,
      channels: input.channels,
      audience: sql`${audienceQuery(tx, caller.ability, input.targetGroup)}`,
      dedupeKey: `campaign:${campaignId}`,
      variables: variables as never,
    });
    const summary = { partners: result.recipients, notifications: result.enqueued };
    await recordActivity(tx, caller.actor, {
      action: 'communication.notify',
      entityType: 'communication',
      entityId: campaignId,
      after: { targetGroup: input.targetGroup, kind, channels: input.channels ?? null, ...summary },
    });
    return { campaignId, kind, ...summary };
  });
}
