import { listNotifications, markNotificationsRead } from '../domain/notifications/inbox.js';
import { partnerPreferences, setPartnerPreferences } from '../domain/notifications/preferences.js';
import { previewNotification } from '../domain/notifications/preview.js';
import {
  listNotificationsInput,
  markReadInput,
  partnerPreferencesInput,
  previewNotificationInput,
  setPreferencesInput,
} from '../domain/notifications/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const notificationsRouter = router({
  /** A kind rendered with the given variables (or its sample data): subject, dashboard summary, text and HTML. */
  preview: procedureFor('read', 'Notification')
    .input(previewNotificationInput)
    .query(({ input }) => previewNotification(input)),
  list: procedureFor('read', 'Notification')
    .input(listNotificationsInput)
    .query(({ ctx, input }) => listNotifications(ctx.db, ctx.ability, input)),
  markRead: procedureFor('update', 'Notification')
    .input(markReadInput)
    .mutation(({ ctx, input }) => markNotificationsRead(ctx.db, ctx.actor, input.ids)),
  preferences: procedureFor('read', 'Partner')
    .input(partnerPreferencesInput)
    .query(({ ctx, input }) => partnerPreferences(ctx.db, input.partnerId)),
  setPreferences: procedureFor('update', 'Partner')
    .input(setPreferencesInput)
    .mutation(({ ctx, input }) => setPartnerPreferences(ctx.db, ctx, input)),
});
