import { toDecimalString } from './money.js';
import type { PaymentOrder, PaymentOutcome, PaymentProcessor } from './processor.js';
import { TipaltiHttp, type HttpResult, type TipaltiSettings } from './tipalti-http.js';
import {
  MAX_INSTRUCTIONS_PER_BATCH,
  MAX_REFCODES_PER_QUERY,
  paymentBatchResponse,
  paymentsResponse,
  TIPALTI_PATHS,
  type PaymentBatchRequest,
  type TipaltiPayment,
} from './tipalti-wire.js';

/** The PaymentProcessor on Tipalti's payment API; `tipalti-wire.ts` describes the requests and answers. */
export class TipaltiProcessor implements PaymentProcessor {
  private readonly http: TipaltiHttp;

  constructor(private readonly settings: TipaltiSettings) {
    this.http = new TipaltiHttp(settings);
  }

  get callTimeoutMs(): number {
    return this.settings.timeoutMs;
  }

  async submit(orders: readonly PaymentOrder[], title: string): Promise<Map<string, PaymentOutcome>> {
    const outcomes = new Map<string, PaymentOutcome>();
    for (const chunk of chunks(orders, MAX_INSTRUCTIONS_PER_BATCH)) {
      const request: PaymentBatchRequest = {
        payerName: this.settings.payerName,
        title,
        paymentInstructions: chunk.map((order) => ({
          refCode: order.reference,
          payeeId: order.payeeId,
          amountSubmitted: { amount: toDecimalString(order.amount, order.currency), currency: order.currency },
        })),
      };
      const result = await this.http.call('POST', TIPALTI_PATHS.paymentBatches, request);
      const references = chunk.map((order) => order.reference);
      for (const [reference, outcome] of batchOutcomes(result, references)) outcomes.set(reference, outcome);
    }
    return outcomes;
  }

  async lookup(references: readonly string[]): Promise<Map<string, PaymentOutcome | null>> {
    const outcomes = new Map<string, PaymentOutcome | null>();
    for (const chunk of chunks(references, MAX_REFCODES_PER_QUERY)) {
      const query = new URLSearchParams(chunk.map((reference) => ['refCode', reference]));
      const result = await this.http.call('GET', `${TIPALTI_PATHS.payments}?${query}`);
      const parsed = result.kind === 'ok' ? paymentsResponse.safeParse(result.body) : undefined;
      if (!parsed?.success) {
        const why = unanswered(result, 'status query');
        for (const reference of chunk) outcomes.set(reference, why);
        continue;
      }
      const found = new Map(parsed.data.items.map((payment) => [payment.refCode, payment]));
      for (const reference of chunk) {
        const payment = found.get(reference);
        outcomes.set(reference, payment ? paymentOutcome(payment) : null);
      }
    }
    return outcomes;
  }
}

function batchOutcomes(result: HttpResult, references: string[]): [string, PaymentOutcome][] {
  if (result.kind === 'refused') {
    return references.map((reference) => [reference, { kind: 'failed', code: result.code, message: result.message, processorPaymentId: null }]);
  }
  const parsed = result.kind === 'ok' ? paymentBatchResponse.safeParse(result.body) : undefined;
  if (!parsed?.success) {
    const why = unanswered(result, 'payment batch');
    return references.map((reference) => [reference, why]);
  }
  const answers = new Map(parsed.data.paymentInstructions.map((answer) => [answer.refCode, answer]));
  return references.map((reference): [string, PaymentOutcome] => {
    const answer = answers.get(reference);
    if (answer?.status === 'Rejected') {
      const error = answer.error ?? { code: 'rejected', message: 'the payment instruction was rejected' };
      return [reference, { kind: 'failed', code: error.code, message: error.message, processorPaymentId: null }];
    }
    if (answer?.payment) return [reference, paymentOutcome(answer.payment)];
    return [reference, { kind: 'unconfirmed', code: 'incomplete_response', message: `the payment batch answer did not cover ${reference}` }];
  });
}

function unanswered(result: HttpResult, what: string): PaymentOutcome {
  if (result.kind === 'ok') return { kind: 'unconfirmed', code: 'invalid_response', message: `unreadable ${what} answer` };
  return { kind: 'unconfirmed', code: result.code, message: `${what}: ${result.message}` };
}

function paymentOutcome(payment: TipaltiPayment): PaymentOutcome {
  const ids = { processorPaymentId: payment.id, processorBatchId: payment.paymentBatchId };
  switch (payment.status) {
    case 'Paid':
      return { kind: 'paid', ...ids };
    case 'Submitted':
      return { kind: 'processing', ...ids };
    case 'Failed':
    case 'Cancelled':
      return {
        kind: 'failed',
        code: `payment_${payment.status.toLowerCase()}`,
        message: payment.failureReason ?? `Tipalti reports the payment ${payment.status.toLowerCase()}`,
        processorPaymentId: payment.id,
      };
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
