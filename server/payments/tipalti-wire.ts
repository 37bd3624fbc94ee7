import { z } from 'zod';

/**
 * The slice of Tipalti's payment API (REST v1) that payouts use, as the adapter sends it and the fake server
 * checks it: OAuth client credentials (or a static key) as a bearer token; `POST /api/v1/payment-batches` with
 * payment instructions (payee id, amount as a decimal string in major units, currency, a unique refCode);
 * `GET /api/v1/payments?refCode=…` for the status of payments by refCode. A refCode is paid at most once: a
 * repeated instruction is answered `Duplicate` with the payment that already exists.
 */
export const TIPALTI_PATHS = {
  token: '/connect/token',
  paymentBatches: '/api/v1/payment-batches',
  payments: '/api/v1/payments',
} as const;

/** Tipalti takes at most 250 payment instructions per call. */
export const MAX_INSTRUCTIONS_PER_BATCH = 250;
export const MAX_REFCODES_PER_QUERY = 100;

const decimalAmount = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal amount in major units, e.g. "12.50"');
const money = z.object({ amount: decimalAmount, currency: z.string().regex(/^[A-Z]{3}$/) });

export const paymentInstruction = z.object({
  refCode: z.string().min(1).max(64),
  payeeId: z.string().min(1).max(64),
  amountSubmitted: money,
});
export type PaymentInstruction = z.infer<typeof paymentInstruction>;

export const paymentBatchRequest = z.object({
  payerName: z.string().min(1),
  title: z.string().min(1).max(200),
  paymentInstructions: z.array(paymentInstruction).min(1).max(MAX_INSTRUCTIONS_PER_BATCH),
});
export type PaymentBatchRequest = z.infer<typeof paymentBatchRequest>;

/** Submitted (accepted, in progress) → Paid | Failed; Cancelled by the payer in Tipalti's hub. */
export const PAYMENT_STATUSES = ['Submitted', 'Paid', 'Failed', 'Cancelled'] as const;
export type TipaltiPaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const tipaltiPayment = z.object({
  id: z.string().min(1),
  refCode: z.string(),
  payeeId: z.string(),
  paymentBatchId: z.string().nullable(),
  amountSubmitted: money,
  status: z.enum(PAYMENT_STATUSES),
  failureReason: z.string().nullable().optional(),
});
export type TipaltiPayment = z.infer<typeof tipaltiPayment>;

const apiError = z.object({ code: z.string(), message: z.string() });

export const paymentBatchResponse = z.object({
  id: z.string().min(1),
  paymentInstructions: z.array(
    z.object({
      refCode: z.string(),
      status: z.enum(['Accepted', 'Duplicate', 'Rejected']),
      payment: tipaltiPayment.optional(),
      error: apiError.optional(),
    }),
  ),
});
export type PaymentBatchResponse = z.infer<typeof paymentBatchResponse>;

export const paymentsResponse = z.object({ items: z.array(tipaltiPayment) });

export const errorResponse = z.object({ error: apiError });

export const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
});
