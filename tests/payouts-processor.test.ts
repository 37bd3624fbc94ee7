import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';
import { configurePayments, paymentProcessor } from '../server/payments/index.js';
import { fromDecimalString, toDecimalString } from '../server/payments/money.js';
import type { PaymentOrder } from '../server/payments/processor.js';
import { TipaltiProcessor } from '../server/payments/tipalti.js';
import { startTestTipalti, TEST_TIPALTI_CLIENT } from './helpers/fake-tipalti.js';

const fake = await startTestTipalti();
const settings = {
  baseUrl: fake.url,
  clientId: TEST_TIPALTI_CLIENT.id,
  clientSecret: TEST_TIPALTI_CLIENT.secret,
  payerName: 'Affiliate Ops Test',
  timeoutMs: 1_500,
};
const tipalti = new TipaltiProcessor(settings);

const order = (amount = 12_345, currency = 'USD'): PaymentOrder => ({ reference: randomUUID(), payeeId: randomUUID(), amount, currency });

describe('amounts', () => {
  it('writes minor units as the currency’s decimal string in major units', () => {
    expect(toDecimalString(123_456, 'USD')).toBe('1234.56');
    expect(toDecimalString(5, 'USD')).toBe('0.05');
    expect(toDecimalString(500, 'JPY')).toBe('500');
    expect(toDecimalString(1_234, 'KWD')).toBe('1.234');
    expect(toDecimalString(-7, 'EUR')).toBe('-0.07');
  });

  it('reads back exactly what it wrote, for any amount and currency exponent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom('USD', 'JPY', 'KWD', 'EUR'), (amount, currency) => {
        expect(fromDecimalString(toDecimalString(amount, currency), currency)).toBe(amount);
      }),
    );
  });

  it('refuses a decimal string with more decimals than the currency has', () => {
    expect(() => fromDecimalString('1.005', 'USD')).toThrow(/more than 2 decimals/);
    expect(() => fromDecimalString('12.5', 'JPY')).toThrow(/more than 0 decimals/);
    expect(fromDecimalString('12.5', 'USD')).toBe(1_250);
  });
});

describe('the Tipalti adapter against the fake Tipalti', () => {
  it('sends payment instructions in Tipalti’s shape with an OAuth token and reads the payment back', async () => {
    const sent = order(123_456);
    const outcomes = await tipalti.submit([sent], 'test batch');
    expect(outcomes.get(sent.reference)).toMatchObject({ kind: 'paid', processorPaymentId: expect.any(String) });
    expect(fake.instructions().filter((instruction) => instruction.refCode === sent.reference)).toEqual([
      { refCode: sent.reference, payeeId: sent.payeeId, amountSubmitted: { amount: '1234.56', currency: 'USD' } },
    ]);
    const known = await tipalti.lookup([sent.reference, randomUUID()]);
    expect([...known.values()]).toEqual([outcomes.get(sent.reference), null]);
  });

  it('pays a reference once: a repeated instruction is answered with the payment that exists', async () => {
    const sent = order();
    const first = await tipalti.submit([sent], 'first');
    const second = await tipalti.submit([sent], 'again');
    expect(second.get(sent.reference)).toEqual(first.get(sent.reference));
    expect(fake.paymentsPerReference().get(sent.reference)).toBe(1);
    expect(fake.instructionsPerReference().get(sent.reference)).toBe(2);
  });

  it('reports a rejected instruction as failed and holds no payment for it', async () => {
    const refused = order();
    const accepted = order();
    fake.rejectPayee(refused.payeeId, 'PayeeNotPayable', 'the payee has not completed onboarding');
    const outcomes = await tipalti.submit([refused, accepted], 'mixed');
    expect(outcomes.get(refused.reference)).toEqual({
      kind: 'failed',
      code: 'PayeeNotPayable',
      message: 'the payee has not completed onboarding',
      processorPaymentId: null,
    });
    expect(outcomes.get(accepted.reference)?.kind).toBe('paid');
    expect((await tipalti.lookup([refused.reference])).get(refused.reference)).toBeNull();
  });

  it('treats a 4xx as failed (nothing done) and a 5xx as unconfirmed (maybe done)', async () => {
    const refused = order();
    fake.failNext('batches', 422);
    expect((await tipalti.submit([refused], 'refused')).get(refused.reference)).toMatchObject({ kind: 'failed', code: 'http_422' });
    const broken = order();
    fake.failNext('batches', 503);
    expect((await tipalti.submit([broken], 'broken')).get(broken.reference)).toMatchObject({ kind: 'unconfirmed', code: 'http_503' });
    expect(fake.paymentsPerReference().has(refused.reference) || fake.paymentsPerReference().has(broken.reference)).toBe(false);
  });

  it('gives up on a call that outlasts the timeout, and a status query then tells whether the payment was made', async () => {
    const lost = order();
    fake.hangNext('batches', { process: true });
    expect((await tipalti.submit([lost], 'answer lost')).get(lost.reference)).toMatchObject({ kind: 'unconfirmed', code: 'timeout' });
    expect((await tipalti.lookup([lost.reference])).get(lost.reference)).toMatchObject({ kind: 'paid' });

    const unsent = order();
    fake.hangNext('batches', { process: false });
    expect((await tipalti.submit([unsent], 'never processed')).get(unsent.reference)).toMatchObject({ kind: 'unconfirmed' });
    expect((await tipalti.lookup([unsent.reference])).get(unsent.reference)).toBeNull();
  });

  it('never calls a reference unknown when the status query itself failed', async () => {
    const reference = randomUUID();
    fake.failNext('payments', 500);
    expect((await tipalti.lookup([reference])).get(reference)).toMatchObject({ kind: 'unconfirmed', code: 'http_500' });
    fake.hangNext('payments', { process: false });
    expect((await tipalti.lookup([reference])).get(reference)).toMatchObject({ kind: 'unconfirmed', code: 'timeout' });
  });

  it('reports a payment still in progress as processing until Tipalti pays it', async () => {
    fake.setSettlement('manual');
    const slow = order();
    try {
      expect((await tipalti.submit([slow], 'slow')).get(slow.reference)?.kind).toBe('processing');
    } finally {
      fake.setSettlement('immediate');
    }
    fake.settle(slow.reference, 'Paid');
    expect((await tipalti.lookup([slow.reference])).get(slow.reference)?.kind).toBe('paid');
  });

  it('fetches a new token when Tipalti no longer accepts the old one', async () => {
    fake.revokeTokens();
    const sent = order();
    expect((await tipalti.submit([sent], 'after revocation')).get(sent.reference)?.kind).toBe('paid');
  });

  it('sends nothing with wrong credentials: the payment failed, it was not made', async () => {
    const wrong = new TipaltiProcessor({ ...settings, clientSecret: 'not-the-secret' });
    const sent = order();
    expect((await wrong.submit([sent], 'wrong secret')).get(sent.reference)).toMatchObject({ kind: 'failed', code: 'auth_failed' });
    expect(fake.instructionsPerReference().has(sent.reference)).toBe(false);
  });
});

describe('choosing the processor from the configuration', () => {
  it('pays through a local fake Tipalti in development when no base URL is configured', async () => {
    configurePayments(loadConfig({ NODE_ENV: 'development' }));
    const local = await paymentProcessor();
    const sent = order(2_500);
    expect((await local.submit([sent], 'development')).get(sent.reference)?.kind).toBe('paid');
    expect((await local.lookup([sent.reference])).get(sent.reference)?.kind).toBe('paid');
    expect(fake.instructionsPerReference().has(sent.reference)).toBe(false);
  });

  it('refuses to pay in production without a configured processor', async () => {
    configurePayments(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/app', AUTH_JWT_SECRET: 'x'.repeat(32) }));
    await expect(paymentProcessor()).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'The payment processor is not configured: set TIPALTI_BASE_URL and its credentials',
    });
  });

  it('uses the configured Tipalti, and refuses half a client credential pair', async () => {
    configurePayments(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/app', AUTH_JWT_SECRET: 'x'.repeat(32), ...fake.env }));
    const configured = await paymentProcessor();
    const sent = order();
    expect((await configured.submit([sent], 'configured')).get(sent.reference)?.kind).toBe('paid');
    expect(fake.paymentsPerReference().get(sent.reference)).toBe(1);
    expect(() => loadConfig({ TIPALTI_CLIENT_ID: 'only-the-id' })).toThrow(ConfigError);
    expect(() => loadConfig({ TIPALTI_CLIENT_ID: 'only-the-id' })).toThrow(/TIPALTI_CLIENT_SECRET: set TIPALTI_CLIENT_ID and TIPALTI_CLIENT_SECRET together/);
  });
});
