import { z } from 'zod';
import { notificationKinds } from '../notifications/kinds.js';
import { notificationChannel, notificationKind, templateVariables } from '../notifications/schemas.js';

export const targetGroup = z.discriminatedUnion('type', [
  z.object({ type: z.literal('all') }),
  /** Active partners on the top tier of their program (optionally one program). */
  z.object({ type: z.literal('high_performers'), programId: z.uuid().optional() }),
  /** Active partners with no activity for longer than their program's inactivity days (optionally one program). */
  z.object({ type: z.literal('at_risk'), programId: z.uuid().optional() }),
  z.object({ type: z.literal('tier'), programId: z.uuid(), tier: z.string().trim().min(1).max(50) }),
  z.object({ type: z.literal('program'), programId: z.uuid() }),
  z.object({ type: z.literal('partners'), partnerIds: z.array(z.uuid()).min(1).max(1000) }),
]);
export type TargetGroup = z.infer<typeof targetGroup>;

export const partnerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('template'),
    kind: notificationKind.refine((kind) => notificationKinds[kind].broadcast, {
      message: 'this kind carries per-partner details and cannot be sent to a group',
    }),
    variables: templateVariables,
  }),
  z.object({ type: z.literal('free'), subject: z.string().trim().min(1).max(200), body: z.string().trim().min(1).max(20_000) }),
]);

export const notifyPartnersInput = z.object({
  targetGroup,
  message: partnerMessage,
  /** Defaults to every channel of the kind. */
  channels: z.array(notificationChannel).min(1).optional(),
  /** Sending the same request again with the same key notifies nobody twice. */
  idempotencyKey: z.string().trim().min(8).max(100).optional(),
});
export type NotifyPartnersInput = z.infer<typeof notifyPartnersInput>;
