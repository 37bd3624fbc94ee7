import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { notifications } from '../../../db/schema/notifications.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { toPage } from '../shared/pagination.js';
import { afterCursorRow } from '../shared/keyset.js';
import type { ListNotificationsInput } from './schemas.js';

const notificationColumns = {
  id: notifications.id,
  kind: notifications.kind,
  channel: notifications.channel,
  partnerId: notifications.partnerId,
  userId: notifications.userId,
  subject: notifications.subject,
  summary: notifications.summary,
  bodyText: notifications.bodyText,
  state: notifications.state,
  attempts: notifications.attempts,
  nextAttemptAt: notifications.nextAttemptAt,
  lastError: notifications.lastError,
  createdAt: notifications.createdAt,
  sentAt: notifications.sentAt,
  readAt: notifications.readAt,
};

const abilityColumns = { partnerId: notifications.partnerId, userId: notifications.userId, kind: notifications.kind };

/** Newest first. */
export async function listNotifications(db: Executor, ability: AppAbility, input: ListNotificationsInput) {
  const filters: (SQL | undefined)[] = [
    accessibleWhere(ability, 'read', 'Notification', abilityColumns),
    input.partnerId ? eq(notifications.partnerId, input.partnerId) : undefined,
    input.userId ? eq(notifications.userId, input.userId) : undefined,
    input.kind ? eq(notifications.kind, input.kind) : undefined,
    input.channel ? eq(notifications.channel, input.channel) : undefined,
    input.state ? eq(notifications.state, input.state) : undefined,
    input.cursor ? afterCursorRow(notifications, notifications.id, [notifications.createdAt, notifications.id], 'desc', input.cursor) : undefined,
  ];
  const rows = await db
    .select(notificationColumns)
    .from(notifications)
    .where(and(...filters))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

/** Marks dashboard notifications read; already-read ones stay as they were (idempotent). */
export async function markNotificationsRead(db: Database, actor: Actor, ids: string[]) {
  const unique = [...new Set(ids)];
  return db.transaction(async (tx) => {
    const found = await tx
      .select({ id: notifications.id, channel: notifications.channel, state: notifications.state })
      .from(notifications)
      .where(inArray(notifications.id, unique))
      .for('update');
    const dashboard = new Set(found.filter((row) => row.channel === 'dashboard').map((row) => row.id));
    const missing = unique.filter((id) => !dashboard.has(id));
    if (missing.length > 0) {
      throw new AppError('NOT_FOUND', `No dashboard notification ${missing.join(', ')}`, { entity: 'Notification', ids: missing });
    }
    const read = await tx
      .update(notifications)
      .set({ state: 'read', readAt: sql`now()` })
      .where(and(inArray(notifications.id, unique), eq(notifications.state, 'sent')))
      .returning({ id: notifications.id });
    await recordActivity(
      tx,
      actor,
      read.map((row) => ({ action: 'notification.read', entityType: 'notification', entityId: row.id, after: { state: 'read' } })),
    );
    return { read: read.length, alreadyRead: unique.length - read.length };
  });
}
