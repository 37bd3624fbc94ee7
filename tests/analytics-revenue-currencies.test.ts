import { beforeAll, describe, expect, it } from 'vitest';
import { programHealth } from '../server/domain/analytics/program-health.js';
import { programHealthInput } from '../server/domain/analytics/schemas.js';
import { rollWindows } from '../server/domain/analytics/windows.js';
import { callerWith } from './helpers/factories/hierarchy.js';
import { eq } from 'drizzle-orm';
import { partners } from '../db/schema/partners.js';
import { createMoneyTestDatabase, createPartner, createProgram, saleEvent, uniqueId, type TestPartner } from './helpers/factories/money.js';

/**
 * Revenue health across programs in two currencies, with a partner who sold in both (it moved from the dollar program
 * to the euro one): the partner is counted once among the partners with activity and each currency is ranked on its
 * own; one program's figures hold its currency only. Read from a kept window (one row per program, partner and
 * currency) and from the day and month rollups alike.
 */
const { db, ingest } = await createMoneyTestDatabase();
const admin = callerWith(['affiliate_admin']);
const NOW = new Date('2025-03-31T08:00:00Z');
/** The 30 days before NOW's day: the kept 30-day window once the windows job has run on NOW. */
const WINDOW = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-31T00:00:00Z') };
/** One day shorter: no kept window is this range, so it is summed from the day and month rollups. */
const NOT_A_WINDOW = { from: new Date('2025-03-02T00:00:00Z'), to: new Date('2025-03-31T00:00:00Z') };

let programId: string;
let both: TestPartner, dollars: TestPartner, clicker: TestPartner;

beforeAll(async () => {
  programId = await createProgram(db);
  const euroProgram = await createProgram(db, { currency: 'EUR' });
  both = await createPartner(db, { programId });
  dollars = await createPartner(db, { programId });
  clicker = await createPartner(db, { programId });
  await ingest([
    saleEvent(both, 10_000, '2025-03-05T12:00:00Z'),
    saleEvent(dollars, 5_000, '2025-03-07T12:00:00Z'),
    { externalId: uniqueId('click'), kind: 'click', referralCode: clicker.referralCode, occurredAt: '2025-03-08T12:00:00Z' },
  ]);
  await db.update(partners).set({ programId: euroProgram }).where(eq(partners.id, both.id));
  await ingest([{ ...saleEvent(both, 3_000, '2025-03-20T12:00:00Z'), currency: 'EUR' }]);
  await rollWindows(db, NOW);
});

const rate = (numerator: number, denominator: number, basisPoints: number | null) => ({ numerator, denominator, basisPoints });
const healthOver = (dateRange: typeof WINDOW, program: string | undefined) =>
  programHealth(db, admin, programHealthInput.parse({ programId: program, dateRange }), undefined, NOW);

describe('revenue health in two currencies', () => {
  for (const [label, range] of [['a kept window', WINDOW], ['a range summed from the rollups', NOT_A_WINDOW]] as const) {
    it(`counts a partner selling in both once and ranks each currency apart, over ${label}`, async () => {
      const health = await healthOver(range, undefined);
      expect(health.quality).toMatchObject({
        partnersWithActivity: 3,
        conversions: 3,
        revenue: [
          { currency: 'EUR', amount: 3_000 },
          { currency: 'USD', amount: 15_000 },
        ],
      });
      expect(health.concentration).toEqual([
        { currency: 'EUR', revenue: 3_000, sellers: 1, topPartners: 1, topRevenue: 3_000, share: rate(3_000, 3_000, 10_000) },
        { currency: 'USD', revenue: 15_000, sellers: 2, topPartners: 1, topRevenue: 10_000, share: rate(10_000, 15_000, 6667) },
      ]);
      const top = (currency: string) => health.performers.find((performers) => performers.currency === currency)?.top;
      expect(top('USD')?.map((performer) => [performer.partnerId, performer.revenue])).toEqual([
        [both.id, 10_000],
        [dollars.id, 5_000],
      ]);
      expect(top('EUR')?.map((performer) => [performer.partnerId, performer.revenue])).toEqual([[both.id, 3_000]]);
    });

    it(`holds one program's currency only, over ${label}`, async () => {
      const health = await healthOver(range, programId);
      expect(health.quality).toMatchObject({ partnersWithActivity: 3, conversions: 2, revenue: [{ currency: 'USD', amount: 15_000 }] });
      expect(health.concentration).toEqual([
        { currency: 'USD', revenue: 15_000, sellers: 2, topPartners: 1, topRevenue: 10_000, share: rate(10_000, 15_000, 6667) },
      ]);
    });
  }
});
