import { z } from 'zod';
import { CONTACT_ROLES, PARTNER_STATUSES, REASON_CODES } from '../../../db/schema/partners.js';
import { dateRange, pageInput } from '../shared/pagination.js';
import { payoutSetup } from './payout.js';

export const PROMOTIONAL_METHODS = [
  'website',
  'blog',
  'social_media',
  'email',
  'paid_search',
  'coupons',
  'video',
  'podcast',
  'other',
] as const;

const partnerId = z.uuid();
const countryCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, e.g. US');
const personName = z.string().trim().min(1).max(200);
// Trimmed before it is checked: a pasted address often carries spaces.
const email = z.string().trim().pipe(z.email().max(320));
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ()-]{4,24}$/, 'must be a phone number: digits, spaces, ()- and an optional leading +');
const website = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(500);
const company = z.string().trim().min(1).max(200);
const promotionalMethods = z.array(z.enum(PROMOTIONAL_METHODS)).min(1).max(PROMOTIONAL_METHODS.length);
const note = z.string().trim().min(1).max(2000);
const reasonCode = z.enum(REASON_CODES);
const tierName = z.string().trim().min(1).max(50);

export const applyInput = z.object({
  name: personName,
  email,
  phone: phone.optional(),
  company: company.optional(),
  website: website.optional(),
  country: countryCode,
  promotionalMethods,
  /** The referral code of the recruiting partner, who becomes the parent. */
  referralCode: z.string().trim().min(1).max(40).optional(),
});

export const partnerRef = z.object({ partnerId });

export const PARTNER_SORT_FIELDS = ['createdAt', 'name', 'status'] as const;
export const listPartnersInput = pageInput.extend({
  status: z.array(z.enum(PARTNER_STATUSES)).min(1).max(PARTNER_STATUSES.length).optional(),
  tier: z.array(tierName).min(1).max(20).optional(),
  programId: z.uuid().optional(),
  managerId: z.uuid().optional(),
  parentId: z.uuid().optional(),
  /** Substring of the name, email or company (name and email only where the caller may read PII). */
  search: z.string().trim().min(1).max(200).optional(),
  createdAt: dateRange.optional(),
  sort: z
    .object({ field: z.enum(PARTNER_SORT_FIELDS), direction: z.enum(['asc', 'desc']).default('desc') })
    .default({ field: 'createdAt', direction: 'desc' }),
});

export const updatePartnerInput = z
  .object({
    partnerId,
    name: personName.optional(),
    email: email.optional(),
    phone: phone.nullable().optional(),
    company: company.nullable().optional(),
    website: website.nullable().optional(),
    country: countryCode.optional(),
    promotionalMethods: promotionalMethods.optional(),
  })
  .refine((input) => Object.keys(input).some((key) => key !== 'partnerId'), { message: 'give at least one field to change' });

export const verifyInput = z.discriminatedUnion('decision', [
  z.object({ partnerId, decision: z.literal('approve'), note: note.optional() }),
  z.object({ partnerId, decision: z.literal('reject'), reasonCode, note }),
]);

export const enrollInput = z.object({
  partnerId,
  programId: z.uuid(),
  /** Defaults to the first commission tier of the program's current configuration. */
  tier: tierName.optional(),
  note: note.optional(),
});

export const completeSetupInput = z.intersection(partnerRef, payoutSetup);

export const onboardingStepInput = z.object({ partnerId, note: note.optional() });

/** Suspend, reactivate, terminate: who and when are recorded from the caller; the why comes from here. */
export const statusChangeInput = z.object({ partnerId, reasonCode, note });

export const changeTierInput = z.object({ partnerId, tier: tierName, reasonCode, note: note.optional() });

const address = z.object({
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().min(1).max(200).optional(),
  city: z.string().trim().min(1).max(100),
  region: z.string().trim().min(1).max(100).optional(),
  postalCode: z.string().trim().min(1).max(20),
  country: countryCode,
});

export const addContactInput = z.object({
  partnerId,
  role: z.enum(CONTACT_ROLES),
  name: personName,
  email: email.optional(),
  phone: phone.optional(),
  address: address.optional(),
});

export const updateContactInput = z
  .object({
    contactId: z.uuid(),
    role: z.enum(CONTACT_ROLES).optional(),
    name: personName.optional(),
    email: email.nullable().optional(),
    phone: phone.nullable().optional(),
    address: address.nullable().optional(),
  })
  .refine((input) => Object.keys(input).some((key) => key !== 'contactId'), { message: 'give at least one field to change' });

export const contactRef = z.object({ contactId: z.uuid() });

export const eraseInput = z.object({ partnerId, note: note.optional() });

export type ApplyInput = z.infer<typeof applyInput>;
export type ListPartnersInput = z.infer<typeof listPartnersInput>;
export type UpdatePartnerInput = z.infer<typeof updatePartnerInput>;
export type VerifyInput = z.infer<typeof verifyInput>;
export type EnrollInput = z.infer<typeof enrollInput>;
export type CompleteSetupInput = z.infer<typeof completeSetupInput>;
export type OnboardingStepInput = z.infer<typeof onboardingStepInput>;
export type StatusChangeInput = z.infer<typeof statusChangeInput>;
export type ChangeTierInput = z.infer<typeof changeTierInput>;
export type AddContactInput = z.infer<typeof addContactInput>;
export type UpdateContactInput = z.infer<typeof updateContactInput>;
export type EraseInput = z.infer<typeof eraseInput>;
