import type { Executor } from '../../../db/client.js';
import { enqueueNotifications } from '../notifications/index.js';
import { emitEvent } from '../webhooks/index.js';

interface PayoutFacts {
  id: string;
  batchId: string;
  partnerId: string;
  amount: number;
  currency: string;
}

/** In the transaction that records the payment: the payout.paid webhook and the partner's payout_paid notice. */
export async function announcePaid(tx: Executor, payout: PayoutFacts, paidAt: Date, processorPaymentId: string | null) {
  await emitEvent(tx, {
    type: 'payout.paid',
    payload: { ...payout, paidAt: paidAt.toISOString(), processorPaymentId },
  });
  await enqueueNotifications(tx, {
    kind: 'payout_paid',
    recipients: [
      {
        partnerId: payout.partnerId,
        dedupeKey: `payout:${payout.id}`,
        variables: { amount: payout.amount, currency: payout.currency, paidAt, reference: payout.id },
      },
    ],
  });
}

/** The processor refused a payment or reports it failed (not a timeout: that outcome is unknown, not a failure). */
export async function announceFailed(tx: Executor, payout: PayoutFacts, failure: { code: string; message: string }) {
  await emitEvent(tx, { type: 'payout.failed', payload: { ...payout, failureCode: failure.code, failureMessage: failure.message } });
}
