import { beforeAll, describe, expect, it } from 'vitest';
import { partnerPerformance } from '../server/domain/analytics/partner-performance.js';
import { partnerPerformanceInput } from '../server/domain/analytics/schemas.js';
import { callerWith } from './helpers/factories/hierarchy.js';
import { createMoneyTestDatabase, createPartner, createProgram, saleEvent, type TestPartner } from './helpers/factories/money.js';

/** Ties in the program percentile: a partner is ranked above the sellers with less revenue, not above its equals. */
const { db, ingest } = await createMoneyTestDatabase();
const admin = callerWith(['affiliate_admin']);
const RANGE = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-31T00:00:00Z') };
const rate = (numerator: number, denominator: number, basisPoints: number | null) => ({ numerator, denominator, basisPoints });

let programId: string;
let first: TestPartner, second: TestPartner, low: TestPartner;

beforeAll(async () => {
  programId = await createProgram(db);
  first = await createPartner(db, { programId });
  second = await createPartner(db, { programId });
  low = await createPartner(db, { programId });
  await ingest([
    saleEvent(first, 10_000, '2025-03-05T12:00:00Z'),
    saleEvent(second, 6_000, '2025-03-06T12:00:00Z'),
    saleEvent(second, 4_000, '2025-03-20T12:00:00Z'),
    saleEvent(low, 5_000, '2025-03-07T12:00:00Z'),
  ]);
});

const percentileOf = async (partner: TestPartner) =>
  (await partnerPerformance(db, admin, partnerPerformanceInput.parse({ partnerId: partner.id, dateRange: RANGE, granularity: 'month' }))).percentile;

describe('the program percentile', () => {
  it('ranks two sellers with equal revenue above the lower one only', async () => {
    // 100.00 and 60.00 + 40.00 tie; 50.00 is below both.
    expect(await percentileOf(first)).toEqual({ programId, peers: 3, revenue: 10_000, rank: rate(1, 2, 5000) });
    expect(await percentileOf(second)).toEqual({ programId, peers: 3, revenue: 10_000, rank: rate(1, 2, 5000) });
    expect(await percentileOf(low)).toEqual({ programId, peers: 3, revenue: 5_000, rank: rate(0, 2, 0) });
  });
});
