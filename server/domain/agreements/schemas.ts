import { z } from 'zod';
import { PARTNER_STATUSES } from '../../../db/schema/partners.js';
import { pageInput } from '../shared/pagination.js';

/** How far ahead of the server clock a recorded acceptance time may be (the caller's clock may run fast). */
export const ACCEPTANCE_CLOCK_SKEW_MS = 60_000;

export const publishAgreementInput = z.object({
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(200_000),
  /** False for an editorial change: acceptance of the previous version that required acceptance still counts. */
  requiresReacceptance: z.boolean().default(true),
});
export type PublishAgreementInput = z.infer<typeof publishAgreementInput>;

export const recordAcceptanceInput = z.object({
  partnerId: z.uuid(),
  version: z.number().int().min(1),
  /** When the partner accepted; now when omitted. */
  acceptedAt: z.coerce
    .date()
    .refine((at) => at.getTime() <= Date.now() + ACCEPTANCE_CLOCK_SKEW_MS, 'must not be in the future')
    .optional(),
  ipAddress: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).optional(),
  userAgent: z.string().trim().min(1).max(1000).optional(),
});
export type RecordAcceptanceInput = z.infer<typeof recordAcceptanceInput>;

export const listAgreementVersionsInput = pageInput;
export type ListAgreementVersionsInput = z.infer<typeof listAgreementVersionsInput>;

export const agreementStatusInput = pageInput.extend({
  programId: z.uuid().optional(),
  /** Without it, every partner but the rejected and terminated ones. */
  status: z.enum(PARTNER_STATUSES).optional(),
});
export type AgreementStatusInput = z.infer<typeof agreementStatusInput>;
