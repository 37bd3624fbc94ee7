import { z } from 'zod';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, NOTIFICATION_STATES, type NotificationKind } from '../../../db/schema/notifications.js';
import { AppError } from '../../errors.js';
import { pageInput } from '../shared/pagination.js';
import { notificationKinds } from './kinds.js';

export const notificationKind = z.enum(NOTIFICATION_KINDS);
export const notificationChannel = z.enum(NOTIFICATION_CHANNELS);
/** Template variables as a caller sends them; checked against the kind's own schema in the domain. */
export const templateVariables = z.record(z.string(), z.unknown());

export const previewNotificationInput = z.object({
  kind: notificationKind,
  /** Omitted: the kind's sample data. */
  variables: templateVariables.optional(),
});

export const listNotificationsInput = pageInput.extend({
  partnerId: z.uuid().optional(),
  userId: z.uuid().optional(),
  kind: notificationKind.optional(),
  channel: notificationChannel.optional(),
  state: z.enum(NOTIFICATION_STATES).optional(),
});

export const markReadInput = z.object({ ids: z.array(z.uuid()).min(1).max(200) });

export const partnerPreferencesInput = z.object({ partnerId: z.uuid() });

export const setPreferencesInput = z.object({
  partnerId: z.uuid(),
  preferences: z
    .array(z.object({ kind: notificationKind, channel: notificationChannel, enabled: z.boolean() }))
    .min(1)
    .max(NOTIFICATION_KINDS.length * NOTIFICATION_CHANNELS.length),
});

export type ListNotificationsInput = z.infer<typeof listNotificationsInput>;
export type SetPreferencesInput = z.infer<typeof setPreferencesInput>;

/** Checks a caller's variables for a kind; errors name the field under `path` (e.g. `message.variables.subject`). */
export function parseTemplateVariables(kind: NotificationKind, variables: unknown, path: string): Record<string, unknown> {
  const parsed = notificationKinds[kind].variables.safeParse(variables);
  if (parsed.success) return variables as Record<string, unknown>;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    (fieldErrors[[path, ...issue.path.map(String)].join('.')] ??= []).push(issue.message);
  }
  const message = Object.entries(fieldErrors)
    .map(([field, messages]) => `${field}: ${messages.join(', ')}`)
    .join('; ');
  throw new AppError('BAD_REQUEST', `Invalid input: ${message}`, { fieldErrors });
}
