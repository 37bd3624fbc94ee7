import { afterAll } from 'vitest';
import { startFakeTipalti, type FakeTipalti } from '../../server/payments/fake-tipalti.js';

export type { FakeTipalti } from '../../server/payments/fake-tipalti.js';

export const TEST_TIPALTI_CLIENT = { id: 'affiliate-ops-test', secret: 'test-client-secret' };

export interface TestTipalti extends FakeTipalti {
  /** The service configuration that points the Tipalti adapter at this fake, with a short client timeout. */
  env: Record<string, string>;
  /** How many payments the fake holds for each refCode (Tipalti pays a refCode at most once). */
  paymentsPerReference(): Map<string, number>;
  /** How many times a payment instruction with each refCode reached the fake. */
  instructionsPerReference(): Map<string, number>;
}

const countBy = <T>(items: T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/**
 * A fake Tipalti for this test file (see server/payments/fake-tipalti.ts), speaking OAuth client credentials,
 * closed after the file's tests. `timeoutMs` is the adapter's client timeout: a scripted hang outlasts it.
 */
export async function startTestTipalti(options: { timeoutMs?: number } = {}): Promise<TestTipalti> {
  const fake = await startFakeTipalti({ clientId: TEST_TIPALTI_CLIENT.id, clientSecret: TEST_TIPALTI_CLIENT.secret });
  afterAll(() => fake.close());
  return {
    ...fake,
    env: {
      TIPALTI_BASE_URL: fake.url,
      TIPALTI_CLIENT_ID: TEST_TIPALTI_CLIENT.id,
      TIPALTI_CLIENT_SECRET: TEST_TIPALTI_CLIENT.secret,
      TIPALTI_PAYER_NAME: 'Affiliate Ops Test',
      TIPALTI_TIMEOUT_MS: String(options.timeoutMs ?? 1_500),
    },
    paymentsPerReference: () => countBy(fake.payments(), (payment) => payment.refCode),
    instructionsPerReference: () => countBy(fake.instructions(), (instruction) => instruction.refCode),
  };
}
