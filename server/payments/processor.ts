/**
 * What the payouts domain needs from a payment processor. The reference is ours (the payout id) and unique per
 * payment: the processor refuses to pay one reference twice, which is what makes a resubmission safe.
 */
export interface PaymentOrder {
  reference: string;
  payeeId: string;
  /** Integer minor units. */
  amount: number;
  currency: string;
}

/**
 * paid / processing: the processor holds a payment for the reference (processing: accepted, not paid yet).
 * failed: nothing was paid — the processor refused the request or reports the payment failed.
 * unconfirmed: no usable answer (timeout, 5xx, network): the payment may or may not exist; ask again later.
 */
export type PaymentOutcome =
  | { kind: 'paid' | 'processing'; processorPaymentId: string; processorBatchId: string | null }
  | { kind: 'failed'; code: string; message: string; processorPaymentId: string | null }
  | { kind: 'unconfirmed'; code: string; message: string };

export interface PaymentProcessor {
  /** A call that takes longer is abandoned; a payout submitting for longer than twice this was left by a crash. */
  readonly callTimeoutMs: number;
  /** Sends the orders; every reference gets an outcome. Never throws for the processor's errors. */
  submit(orders: readonly PaymentOrder[], title: string): Promise<Map<string, PaymentOutcome>>;
  /**
   * What the processor knows about each reference: an outcome, or null when it holds no payment for it (safe to
   * send). A reference whose query failed gets an unconfirmed outcome, never null.
   */
  lookup(references: readonly string[]): Promise<Map<string, PaymentOutcome | null>>;
}
