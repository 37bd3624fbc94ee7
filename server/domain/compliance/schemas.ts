import { z } from 'zod';
import { DOCUMENT_KINDS, DOCUMENT_STATUSES } from '../../../db/schema/compliance.js';
import { HOLD_KINDS } from '../../../db/schema/partners.js';
import { pageInput } from '../shared/pagination.js';

/** Today's date in UTC as YYYY-MM-DD: document dates are calendar dates and compare as such. */
export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

const calendarDate = z.iso.date('must be a date as YYYY-MM-DD');
const reason = z.string().trim().min(1).max(2000);

/** A document is valid through its expiry date; it must expire after it was issued and must not have expired. */
export const submitDocumentInput = z
  .object({
    partnerId: z.uuid(),
    kind: z.enum(DOCUMENT_KINDS),
    /** Where the file is kept (a storage key or URL); the service never stores the file itself. */
    reference: z.string().trim().min(1).max(500),
    checksum: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 digest: 64 hexadecimal characters'),
    issuedOn: calendarDate.optional(),
    expiresOn: calendarDate.optional(),
  })
  .superRefine((document, ctx) => {
    const today = todayUtc();
    if (document.issuedOn && document.issuedOn > today) {
      ctx.addIssue({ code: 'custom', path: ['issuedOn'], message: `must not be in the future (today is ${today})` });
    }
    if (document.expiresOn && document.issuedOn && document.expiresOn <= document.issuedOn) {
      ctx.addIssue({ code: 'custom', path: ['expiresOn'], message: `must be after issuedOn (${document.issuedOn})` });
    }
    if (document.expiresOn && document.expiresOn < today) {
      ctx.addIssue({ code: 'custom', path: ['expiresOn'], message: `the document has already expired (today is ${today})` });
    }
  });
export type SubmitDocumentInput = z.infer<typeof submitDocumentInput>;

export const reviewDocumentInput = z
  .object({
    documentId: z.uuid(),
    decision: z.enum(['approve', 'reject']),
    /** Required for a rejection: the partner is told why. */
    reason: reason.optional(),
  })
  .refine((review) => review.decision === 'approve' || review.reason !== undefined, {
    path: ['reason'],
    message: 'is required to reject a document',
  });
export type ReviewDocumentInput = z.infer<typeof reviewDocumentInput>;

export const listDocumentsInput = pageInput.extend({
  partnerId: z.uuid().optional(),
  kind: z.enum(DOCUMENT_KINDS).optional(),
  status: z.enum(DOCUMENT_STATUSES).optional(),
  /** Documents that are still valid today and expire within this many days (0 = expire today). */
  expiringWithinDays: z.number().int().min(0).max(3650).optional(),
});
export type ListDocumentsInput = z.infer<typeof listDocumentsInput>;

export const placeHoldInput = z.object({ partnerId: z.uuid(), kind: z.enum(HOLD_KINDS), reason });
export type PlaceHoldInput = z.infer<typeof placeHoldInput>;

export const releaseHoldInput = z.object({ holdId: z.uuid(), reason });
export type ReleaseHoldInput = z.infer<typeof releaseHoldInput>;

export const listHoldsInput = pageInput.extend({
  partnerId: z.uuid().optional(),
  state: z.enum(['open', 'all']).default('open'),
});
export type ListHoldsInput = z.infer<typeof listHoldsInput>;
