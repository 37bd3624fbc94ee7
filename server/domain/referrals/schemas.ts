import { z } from 'zod';
import { ATTRIBUTION_STATUSES, REFERRAL_KINDS } from '../../../db/schema/referrals.js';
import { dateRange, pageInput } from '../shared/pagination.js';

export const MAX_BATCH_EVENTS = 1000;
/** How far ahead of the server's clock an event's time may be (clock skew between services). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const externalRef = z.string().trim().min(1).max(200);
/** Money is an integer count of minor units (cents), never a float; the bound keeps sums inside 2^53. */
const minorUnits = z.number().int().positive().max(1_000_000_000_000);

type RefinementContext = Pick<z.core.$RefinementCtx<unknown>, 'addIssue'>;

// A function of its own rather than a closure per event: under tsx every arrow function created is also named with
// Object.defineProperty, ~1 ms per batch of 1,000 (CPU profile).
function addIssue(ctx: RefinementContext, path: string, message: string): void {
  ctx.addIssue({ code: 'custom', path: [path], message });
}

export const referralEventInput = z
  .object({
    externalId: externalRef,
    kind: z.enum(REFERRAL_KINDS),
    referralCode: z.string().trim().min(1).max(100).optional(),
    partnerId: z.uuid().optional(),
    /** The external id of the click a lead or sale came from. */
    clickId: externalRef.optional(),
    /** A stable visitor id (cookie or device id); without it, IP and user agent together identify the visitor. */
    visitorId: z.string().trim().min(1).max(200).optional(),
    accountId: z.uuid().optional(),
    amount: minorUnits.optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD').optional(),
    /** For a refund: the external id of the sale it refunds. */
    refundOf: externalRef.optional(),
    occurredAt: z.coerce.date(),
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    userAgent: z.string().max(1000).optional(),
  })
  .superRefine((event, ctx) => {
    const money = event.kind === 'sale' || event.kind === 'refund';
    if (money && event.amount === undefined) addIssue(ctx, 'amount', `a ${event.kind} needs an amount in minor units`);
    if (money && event.currency === undefined) addIssue(ctx, 'currency', `a ${event.kind} needs a currency`);
    if (!money && event.amount !== undefined) addIssue(ctx, 'amount', `a ${event.kind} has no amount`);
    if (!money && event.currency !== undefined) addIssue(ctx, 'currency', `a ${event.kind} has no currency`);
    if (event.referralCode !== undefined && event.partnerId !== undefined) addIssue(ctx, 'partnerId', 'name the partner by referralCode or by partnerId, not both');
    if (event.kind === 'click' && event.referralCode === undefined && event.partnerId === undefined) {
      addIssue(ctx, 'referralCode', 'a click needs a referralCode or a partnerId');
    }
    if (event.kind === 'refund') {
      if (event.refundOf === undefined) addIssue(ctx, 'refundOf', 'a refund names the external id of the sale it refunds');
      for (const field of ['referralCode', 'partnerId', 'clickId'] as const) {
        if (event[field] !== undefined) addIssue(ctx, field, "a refund takes its partner from the sale; leave this out");
      }
    } else if (event.refundOf !== undefined) {
      addIssue(ctx, 'refundOf', 'only a refund refunds a sale');
    }
    if (event.kind === 'click' && event.clickId !== undefined) addIssue(ctx, 'clickId', 'a click does not name another click');
    if (event.occurredAt.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) addIssue(ctx, 'occurredAt', 'lies in the future');
  });
export type ReferralEventInput = z.output<typeof referralEventInput>;

export const ingestInput = z
  .object({ events: z.array(referralEventInput).min(1).max(MAX_BATCH_EVENTS) })
  .superRefine((input, ctx) => {
    const firstIndex = new Map<string, number>();
    input.events.forEach((event, index) => {
      const seen = firstIndex.get(event.externalId);
      if (seen === undefined) firstIndex.set(event.externalId, index);
      else ctx.addIssue({ code: 'custom', path: ['events', index, 'externalId'], message: `repeats events.${seen}.externalId` });
    });
  });
export type IngestInput = z.output<typeof ingestInput>;

export const listReferralsInput = pageInput.extend({
  partnerId: z.uuid().optional(),
  kind: z.enum(REFERRAL_KINDS).optional(),
  attributionStatus: z.enum(ATTRIBUTION_STATUSES).optional(),
  occurred: dateRange.optional(),
});
export type ListReferralsInput = z.output<typeof listReferralsInput>;
