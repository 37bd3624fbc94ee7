import { z } from 'zod';
import { DOCUMENT_KINDS } from '../../../db/schema/compliance.js';
import { NOTIFICATION_KINDS, type NotificationChannel, type NotificationKind } from '../../../db/schema/notifications.js';
import { REASON_CODES } from '../../../db/schema/partners.js';
import { PERFORMANCE_METRICS } from '../programs/configuration.js';

const text = (max: number) => z.string().trim().min(1).max(max);
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code');
const minorUnits = z.number().int();
const rate = z.object({ rateType: z.enum(['percentage', 'flat']), value: z.number().int().min(0) });

interface KindDefinition<Schema extends z.ZodObject = z.ZodObject> {
  /** Legal and compliance notices: sent whatever the partner's preferences. */
  essential: boolean;
  audience: 'partner' | 'staff';
  channels: readonly NotificationChannel[];
  /** Whether `communications.notifyPartners` may send it: its variables are the same for every recipient. */
  broadcast: boolean;
  variables: Schema;
  /** Renders in the template test and in `notifications.preview`. */
  sample: z.input<Schema>;
}

const partnerChannels = ['email', 'dashboard'] as const;
const define = <Schema extends z.ZodObject>(definition: KindDefinition<Schema>) => definition;

/**
 * Every notification kind: who receives it, whether it is essential, and the variables its template may use.
 * Templates are rendered with exactly the parsed variables (handlebars `strict`), so a template naming a variable
 * missing here fails at start (see templates.ts).
 */
export const notificationKinds = {
  application_received: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ programName: text(200).nullable(), receivedAt: z.coerce.date() }),
    sample: { programName: 'Acme Partners', receivedAt: '2025-03-01T09:30:00Z' },
  }),
  partner_activated: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ programName: text(200).nullable(), referralCode: text(100) }),
    sample: { programName: 'Acme Partners', referralCode: 'ACME-7F3K' },
  }),
  partner_suspended: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ reasonCode: z.enum(REASON_CODES), note: text(2000).nullable() }),
    sample: { reasonCode: 'compliance', note: 'Your W-9 expired on 1 March.' },
  }),
  partner_reactivated: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ note: text(2000).nullable() }),
    sample: { note: null },
  }),
  partner_terminated: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ reasonCode: z.enum(REASON_CODES), note: text(2000).nullable() }),
    sample: { reasonCode: 'partner_request', note: null },
  }),
  tier_changed: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({
      programName: text(200),
      fromTier: text(50).nullable(),
      toTier: text(50),
      currency,
      rate,
      recurringMonths: z.number().int().min(0),
      overrides: z.array(rate.extend({ level: z.number().int().min(1) })),
      effectiveAt: z.coerce.date(),
    }),
    sample: {
      programName: 'Acme Partners',
      fromTier: 'Silver',
      toTier: 'Gold',
      currency: 'USD',
      rate: { rateType: 'percentage', value: 1250 },
      recurringMonths: 12,
      overrides: [
        { level: 1, rateType: 'percentage', value: 300 },
        { level: 2, rateType: 'flat', value: 500 },
      ],
      effectiveAt: '2025-04-01T00:00:00Z',
    },
  }),
  document_expiring: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ documentKind: z.enum(DOCUMENT_KINDS), expiresOn: z.coerce.date(), daysLeft: z.number().int().min(0) }),
    sample: { documentKind: 'w9', expiresOn: '2025-05-01', daysLeft: 30 },
  }),
  document_expired_hold: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ documentKind: z.enum(DOCUMENT_KINDS), expiredOn: z.coerce.date() }),
    sample: { documentKind: 'w8ben', expiredOn: '2025-05-01' },
  }),
  agreement_reminder: define({
    essential: true,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: true,
    variables: z.object({ agreementTitle: text(200), version: z.number().int().min(1), dueBy: z.coerce.date().nullable() }),
    sample: { agreementTitle: 'Partner Program Terms', version: 3, dueBy: '2025-06-15' },
  }),
  re_engagement: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: true,
    variables: z.object({ programName: text(200).nullable(), offer: text(1000).nullable() }),
    sample: { programName: 'Acme Partners', offer: 'Earn a 5% bonus on every sale this month.' },
  }),
  performance_alert: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({
      metric: z.enum(PERFORMANCE_METRICS),
      direction: z.enum(['below', 'above']),
      current: z.number().int(),
      threshold: z.number().int(),
      periodDays: z.number().int().min(1),
      currency,
      tier: text(50),
    }),
    sample: { metric: 'revenue', direction: 'below', current: 120_000, threshold: 250_000, periodDays: 30, currency: 'USD', tier: 'Gold' },
  }),
  program_update: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ updateId: z.uuid(), programName: text(200), title: text(200), body: text(20_000), requiresAcknowledgment: z.boolean() }),
    sample: {
      updateId: '7d1f5a52-3c1b-4f7e-9c5e-2b7c3f1a9d10',
      programName: 'Acme Partners',
      title: 'New cookie window',
      body: 'From 1 July the cookie window grows from 30 to 45 days.\n\nNothing changes for referrals before that date.',
      requiresAcknowledgment: true,
    },
  }),
  ticket_reply: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ ticketId: z.uuid(), ticketNumber: z.number().int().min(1), subject: text(200), reply: text(20_000) }),
    sample: {
      ticketId: '0b6f3c2e-8d4a-4b1e-9f2a-6c5d4e3b2a19',
      ticketNumber: 1042,
      subject: 'Missing commission for order 5531',
      reply: 'We found the sale and credited it to your account.',
    },
  }),
  payout_paid: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: false,
    variables: z.object({ amount: minorUnits.min(0), currency, paidAt: z.coerce.date(), reference: text(200).nullable() }),
    sample: { amount: 123_456, currency: 'USD', paidAt: '2025-03-15T12:00:00Z', reference: 'PO-2025-03-0017' },
  }),
  webhook_endpoint_disabled: define({
    essential: true,
    audience: 'staff',
    channels: ['email'],
    broadcast: false,
    variables: z.object({
      endpointId: z.uuid(),
      url: text(2000),
      consecutiveFailures: z.number().int().min(1),
      lastError: text(2000).nullable(),
      disabledAt: z.coerce.date(),
    }),
    sample: {
      endpointId: '5e0c9a7b-1f2d-4c3b-8a9e-7d6c5b4a3f21',
      url: 'https://crm.internal.example.com/hooks/affiliates',
      consecutiveFailures: 20,
      lastError: 'HTTP 503',
      disabledAt: '2025-03-20T08:00:00Z',
    },
  }),
  custom_message: define({
    essential: false,
    audience: 'partner',
    channels: partnerChannels,
    broadcast: true,
    variables: z.object({ subject: text(200), message: text(20_000) }),
    sample: { subject: 'Holiday support hours', message: 'Our team is away on 25 and 26 December.\n\nHappy holidays!' },
  }),
} satisfies Record<NotificationKind, KindDefinition>;

export type NotificationKinds = typeof notificationKinds;
export type NotificationVariables<K extends NotificationKind> = z.input<NotificationKinds[K]['variables']>;

export const ESSENTIAL_KINDS = NOTIFICATION_KINDS.filter((kind) => notificationKinds[kind].essential);
export const BROADCAST_KINDS = NOTIFICATION_KINDS.filter((kind) => notificationKinds[kind].broadcast);
export const PARTNER_KINDS = NOTIFICATION_KINDS.filter((kind) => notificationKinds[kind].audience === 'partner');
