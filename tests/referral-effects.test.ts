import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../server/context.js';
import { rollupDrift } from '../server/domain/analytics/drift.js';
import { applyQueuedEffects } from '../server/domain/referrals/effects.js';
import { ingestReferrals } from '../server/domain/referrals/ingest.js';
import { ingestInput } from '../server/domain/referrals/schemas.js';
import { referralEffectsJob } from '../jobs/referral-effects.js';
import {
  createChain,
  createIngestKey,
  createMoneyTestDatabase,
  createProgram,
  refundEvent,
  saleEvent,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';
import { startTestServer } from './helpers/server.js';

const { database, db, key } = await createMoneyTestDatabase();
const programId = await createProgram(db);
const otherKey = await createIngestKey(db);

/** Ingests without applying the effects, as the procedure does before its background run. */
function ingestOnly(events: unknown[], apiKeyId = key.id) {
  const actor: Actor = { userId: `api-key:${apiKeyId}`, roles: [], requestId: null };
  return ingestReferrals(db, { actor, apiKeyId }, ingestInput.parse({ events }));
}

const click = (partner: TestPartner, occurredAt: string) => ({
  externalId: uniqueId('click'),
  kind: 'click',
  referralCode: partner.referralCode,
  occurredAt,
});

async function state() {
  const result = await db.execute<{ queued: number; entries: number; applications: number }>(sql`
    select (select coalesce(sum(cardinality(event_ids)), 0) from referral_effects_queue)::int as queued,
      (select count(*) from commissions)::int as entries,
      (select count(*) from activity where action = 'referrals.effects')::int as applications`);
  return result.rows[0]!;
}

async function createdBy(saleExternalId: string) {
  const result = await db.execute<{ created_by: string }>(sql`
    select distinct c.created_by from commissions c join referral_events e on e.id = c.event_id
    where e.external_id = ${saleExternalId}`);
  return result.rows.map((row) => row.created_by);
}

describe('the referral effects queue', () => {
  it('holds the effects of attributed events until applied, then applies each exactly once', async () => {
    const before = await state();
    const [parent, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
    const result = await ingestOnly([
      click(seller, '2025-03-01T09:00:00Z'),
      saleEvent(seller, 10_000, '2025-03-01T10:00:00Z'),
      { ...click(parent, '2025-03-01T09:00:00Z'), referralCode: 'no-such-code' },
    ]);
    expect(result.effectsQueued).toBe(2);
    expect(await state()).toEqual({ ...before, queued: before.queued + 2 });

    expect(await applyQueuedEffects(db)).toEqual({ events: 2, commissionEntries: 2, fraudFlags: 0 });
    expect(await state()).toEqual({ queued: 0, entries: before.entries + 2, applications: before.applications + 1 });
    expect(await rollupDrift(db)).toEqual([]);

    expect(await applyQueuedEffects(db)).toEqual({ events: 0, commissionEntries: 0, fraudFlags: 0 });
    expect(await state()).toEqual({ queued: 0, entries: before.entries + 2, applications: before.applications + 1 });
  });

  it('applies calls oldest first and whole, up to the limit per transaction; a refund applied with its sale reverses it', async () => {
    const before = await state();
    const [, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
    const sale = saleEvent(seller, 10_000, '2025-03-02T10:00:00Z');
    await ingestOnly([click(seller, '2025-03-02T09:00:00Z'), sale]);
    await ingestOnly([saleEvent(seller, 5_000, '2025-03-02T11:00:00Z')]);
    await ingestOnly([refundEvent(sale.externalId, 10_000, '2025-03-03T10:00:00Z')]);

    // 2 events, then 1 + 1: the second call does not fit beside the first.
    expect(await applyQueuedEffects(db, 2)).toEqual({ events: 4, commissionEntries: 6, fraudFlags: 0 });
    expect((await state()).applications).toBe(before.applications + 2);
    const reversed = await db.execute<{ amount: number }>(sql`
      select sum(c.amount)::bigint as amount from commissions c join referral_events e on e.id = c.event_id
      where e.external_id = ${sale.externalId}`);
    expect(reversed.rows[0]!.amount).toBe(0);
    expect(await rollupDrift(db)).toEqual([]);
  });

  it("records each call's own caller on what its effects write, never merging two callers in one transaction", async () => {
    const before = await state();
    const [, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
    const sales = [0, 1, 2].map((n) => saleEvent(seller, 1_000, `2025-03-04T1${n}:00:00Z`));
    await ingestOnly([sales[0]!]);
    await ingestOnly([sales[1]!], otherKey.id);
    await ingestOnly([sales[2]!]);

    await applyQueuedEffects(db);
    expect((await state()).applications).toBe(before.applications + 3);
    expect(await createdBy(sales[0]!.externalId)).toEqual([`api-key:${key.id}`]);
    expect(await createdBy(sales[1]!.externalId)).toEqual([`api-key:${otherKey.id}`]);
    expect(await createdBy(sales[2]!.externalId)).toEqual([`api-key:${key.id}`]);
  });

  it('applies each call once when several appliers run at the same time', async () => {
    const before = await state();
    const [, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
    for (let n = 0; n < 6; n++) await ingestOnly([saleEvent(seller, 1_000 + n, `2025-03-05T1${n}:00:00Z`)]);

    const runs = await Promise.all([applyQueuedEffects(db, 1), applyQueuedEffects(db, 1), referralEffectsJob('1 minute').run({ db, now: new Date() })]);
    expect(runs.reduce((sum, run) => sum + run.events, 0)).toBe(6);
    expect(await state()).toMatchObject({ queued: 0, entries: before.entries + 12 });
    expect(await rollupDrift(db)).toEqual([]);
  });
});

describe('the service', () => {
  it('applies the effects of its calls in the background, and what is still waiting when it stops', async () => {
    const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
    const [, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
    const send = (event: ReturnType<typeof saleEvent>) =>
      fetch(`${server.url}/trpc/referrals.ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key.secret },
        body: JSON.stringify({ json: { events: [event] } }),
      });

    expect((await send(saleEvent(seller, 2_000, '2025-03-06T10:00:00Z'))).status).toBe(200);
    for (let waited = 0; (await state()).queued > 0; waited += 20) {
      if (waited > 10_000) throw new Error('the background run did not apply the queued effects within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const entries = (await state()).entries;
    expect((await send(saleEvent(seller, 3_000, '2025-03-06T11:00:00Z'))).status).toBe(200);
    await server.stop();
    expect(await state()).toMatchObject({ queued: 0, entries: entries + 2 });
  });
});
