import type { Database } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import type { PaymentOrder, PaymentOutcome, PaymentProcessor } from '../../payments/processor.js';
import { recordOutcome, type ClaimedPayout } from './outcome.js';

const order = (payout: ClaimedPayout): PaymentOrder => ({
  reference: payout.id,
  payeeId: payout.partnerId,
  amount: payout.amount,
  currency: payout.currency,
});

const noAnswer: PaymentOutcome = { kind: 'unconfirmed', code: 'no_outcome', message: 'the processor gave no outcome for this payment' };

/**
 * The network half of a submit or retry, outside any transaction: the payouts are already marked submitting
 * (committed). `send` is a first submission. `reconcile` asks the processor about each reference first and sends
 * only those it holds no payment for, so a payment whose answer was lost (timeout, crash) is never made twice.
 * Each answer is then recorded in a transaction of its own.
 */
export async function dispatchPayouts(
  db: Database,
  processor: PaymentProcessor,
  actor: Actor,
  claimed: readonly ClaimedPayout[],
  mode: 'send' | 'reconcile',
  title: string,
): Promise<void> {
  if (claimed.length === 0) return;
  const outcomes = new Map<string, PaymentOutcome>();
  let toSend = claimed;
  if (mode === 'reconcile') {
    const known = await processor.lookup(claimed.map((payout) => payout.id));
    for (const [reference, outcome] of known) if (outcome) outcomes.set(reference, outcome);
    toSend = claimed.filter((payout) => known.get(payout.id) === null);
  }
  if (toSend.length > 0) {
    for (const [reference, outcome] of await processor.submit(toSend.map(order), title)) outcomes.set(reference, outcome);
  }
  for (const payout of claimed) await recordOutcome(db, actor, payout, outcomes.get(payout.id) ?? noAnswer);
}
