import { z } from 'zod';
import { pageInput } from '../shared/pagination.js';

export const setParentInput = z
  .object({
    partnerId: z.uuid(),
    /** The new direct parent; null makes the partner a root. */
    parentId: z.uuid().nullable(),
  })
  .refine((input) => input.parentId !== input.partnerId, {
    message: 'a partner cannot be its own parent',
    path: ['parentId'],
  });
export type SetParentInput = z.infer<typeof setParentInput>;

export const uplineInput = z.object({ partnerId: z.uuid() });
export type UplineInput = z.infer<typeof uplineInput>;

export const downlineInput = pageInput.extend({
  partnerId: z.uuid(),
  /** Only this level (1 = direct recruits); without it every level, nearest first. */
  level: z.number().int().min(1).max(1_000).optional(),
});
export type DownlineInput = z.infer<typeof downlineInput>;

export const assignManagerInput = z.object({
  partnerId: z.uuid(),
  /** A staff user with the partner_manager role; null removes the manager. */
  managerId: z.uuid().nullable(),
});
export type AssignManagerInput = z.infer<typeof assignManagerInput>;
