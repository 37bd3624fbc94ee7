import { createTRPCClient, httpLink } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../server/index.js';
import {
  addProgramVersion,
  createAccount,
  createChain,
  createMoneyTestDatabase,
  createPartner,
  createProgram,
  setPartnerStatus,
  threeLevelConfiguration,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';
import { applyQueuedEffects } from '../server/domain/referrals/effects.js';
import { startTestServer } from './helpers/server.js';
import superjson from 'superjson';

const { database, db, key } = await createMoneyTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const service = createTRPCClient<AppRouter>({
  links: [httpLink({ url: `${server.url}/trpc`, transformer: superjson, headers: { 'x-api-key': key.secret } })],
});
const programId = await createProgram(db);

type Event = Parameters<typeof service.referrals.ingest.mutate>[0]['events'][number];
/** Ingests over HTTP and waits until the effects the call queued are applied (by the server's run or by this one). */
const ingest = async (events: Event[]) => {
  const result = await service.referrals.ingest.mutate({ events });
  await applyQueuedEffects(db);
  return result;
};

const browser = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };
const click = (partner: TestPartner, occurredAt: string, extra: Partial<Event> = {}): Event => ({
  externalId: uniqueId('click'),
  kind: 'click',
  referralCode: partner.referralCode,
  occurredAt,
  ...extra,
});
const sale = (occurredAt: string, extra: Partial<Event> = {}): Event => ({
  externalId: uniqueId('sale'),
  kind: 'sale',
  amount: 10_000,
  currency: 'USD',
  occurredAt,
  ...extra,
});

async function counts(externalIds: string[]) {
  const result = await db.execute<{ events: number; entries: number }>(sql`
    select (select count(*) from referral_events where external_id = any(${sql.param(externalIds)}::text[]))::int as events,
      (select count(*) from commissions c join referral_events e on e.id = c.event_id
       where e.external_id = any(${sql.param(externalIds)}::text[]))::int as entries`);
  return result.rows[0]!;
}

describe('idempotent ingestion', () => {
  async function batchFor(size: number) {
    const chain = await createChain(db, programId, 2);
    const seller = chain[1]!;
    const visitor = { ip: `198.51.100.${size}`, userAgent: `agent-${uniqueId('ua')}` };
    return Array.from({ length: size }, (_, index): Event =>
      index % 2 === 0
        ? click(seller, `2025-05-01T10:${String(index % 60).padStart(2, '0')}:00Z`, visitor)
        : sale(`2025-05-01T11:${String(index % 60).padStart(2, '0')}:00Z`, visitor),
    );
  }

  it('stores a batch once: sent again, every event is a duplicate and nothing changes', async () => {
    const events = await batchFor(40);
    const first = await ingest(events);
    expect(first.created).toHaveLength(40);
    expect(first.duplicates).toEqual([]);
    expect(first.effectsQueued).toBe(40);
    const again = await ingest(events);
    expect(again).toEqual({ received: 40, created: [], duplicates: events.map((event) => event.externalId), effectsQueued: 0 });
    // 20 sales, each an earning for the seller and an override for its parent.
    expect(await counts(events.map((event) => event.externalId))).toEqual({ events: 40, entries: 40 });
  });

  it('answers created and duplicates in the order the events were sent, whatever their kinds and external ids', async () => {
    const events = await batchFor(6);
    const [storedBefore] = [events[3]!];
    await ingest([storedBefore]);
    // Sales before clicks and external ids out of order: the statements store them by kind and by external id.
    const sent = [events[5]!, events[0]!, events[3]!, events[1]!, events[4]!, events[2]!];
    const result = await ingest(sent);
    const expected = sent.filter((event) => event !== storedBefore);
    expect(result.created.map((event) => [event.externalId, event.kind])).toEqual(expected.map((event) => [event.externalId, event.kind]));
    expect(result.duplicates).toEqual([storedBefore.externalId]);
  });

  it('stores a batch sent five times concurrently exactly once', async () => {
    const events = await batchFor(60);
    const results = await Promise.all(Array.from({ length: 5 }, () => ingest(events)));
    const created = results.map((result) => result.created.length).sort((a, b) => b - a);
    expect(created).toEqual([60, 0, 0, 0, 0]);
    expect(results.map((result) => result.created.length + result.duplicates.length)).toEqual([60, 60, 60, 60, 60]);
    expect(await counts(events.map((event) => event.externalId))).toEqual({ events: 60, entries: 60 });
  });

  it('splits overlapping concurrent batches so that each event is stored by exactly one of them', async () => {
    const events = await batchFor(30);
    const [a, b] = await Promise.all([ingest(events.slice(0, 20)), ingest(events.slice(10))]);
    const stored = [...a!.created, ...b!.created].map((event) => event.externalId).sort();
    expect(stored).toEqual(events.map((event) => event.externalId).sort());
    expect(a!.duplicates.length + b!.duplicates.length).toBe(10);
    expect(await counts(events.map((event) => event.externalId))).toEqual({ events: 30, entries: 30 });
  });
});

describe('input validation', () => {
  const refusal = async (events: Event[], field: string) => {
    const error = await ingest(events).then(
      () => null,
      (caught: { data?: { code?: string }; message: string }) => caught,
    );
    expect(error?.data?.code).toBe('BAD_REQUEST');
    expect(error?.message).toContain(field);
  };

  it('names the field of a bad event', async () => {
    const [partner] = await createChain(db, programId, 1) as [TestPartner];
    const ok = click(partner, '2025-05-01T10:00:00Z');
    await refusal([ok, { ...ok }], 'events.1.externalId');
    await refusal([ok, sale('2025-05-01T10:00:00Z', { amount: undefined })], 'events.1.amount');
    await refusal([sale('2025-05-01T10:00:00Z', { amount: 10.5 })], 'events.0.amount');
    await refusal([sale('2025-05-01T10:00:00Z', { currency: 'usd' })], 'events.0.currency');
    await refusal([{ ...ok, kind: 'click', referralCode: undefined }], 'events.0.referralCode');
    await refusal([{ externalId: uniqueId('refund'), kind: 'refund', amount: 1, currency: 'USD', occurredAt: '2025-05-01T10:00:00Z' }], 'events.0.refundOf');
    await refusal([click(partner, new Date(Date.now() + 3_600_000).toISOString())], 'events.0.occurredAt');
    await refusal([click(partner, '2025-05-01T10:00:00Z', { ip: '999.1.1.1' })], 'events.0.ip');
    await refusal([sale('2025-05-01T10:00:00Z', { accountId: crypto.randomUUID() })], 'events.0.accountId');
    await refusal(Array.from({ length: 1_001 }, () => click(partner, '2025-05-01T10:00:00Z')), 'events');
  });

  it('refuses refunds that name no sale, change currency, precede the sale or exceed it, and stores nothing of the batch', async () => {
    const [partner] = await createChain(db, programId, 1) as [TestPartner];
    const original = sale('2025-05-02T10:00:00Z', { referralCode: partner.referralCode });
    await ingest([original]);
    const refund = (extra: Partial<Event>): Event => ({
      externalId: uniqueId('refund'),
      kind: 'refund',
      refundOf: original.externalId,
      amount: 1_000,
      currency: 'USD',
      occurredAt: '2025-05-03T10:00:00Z',
      ...extra,
    });
    const bystander = click(partner, '2025-05-03T10:00:00Z');
    await refusal([bystander, refund({ refundOf: 'no-such-sale' })], 'events.1.refundOf');
    await refusal([refund({ currency: 'EUR' })], 'events.0.currency');
    await refusal([refund({ occurredAt: '2025-05-01T10:00:00Z' })], 'events.0.occurredAt');
    await refusal([refund({ amount: 6_000 }), refund({ amount: 5_000 })], 'amount');
    expect(await counts([bystander.externalId])).toEqual({ events: 0, entries: 0 });
    // Within the sale's amount, two refunds in one batch are fine.
    const accepted = await ingest([refund({ amount: 6_000 }), refund({ amount: 4_000 })]);
    expect(accepted.created).toHaveLength(2);
  });
});

describe('attribution', () => {
  async function attributionOf(externalId: string) {
    const result = await db.execute<{
      partner_id: string | null;
      attribution_status: string;
      attribution_method: string | null;
      attribution_reason: string | null;
    }>(sql`select partner_id, attribution_status, attribution_method, attribution_reason from referral_events where external_id = ${externalId}`);
    return result.rows[0];
  }
  const visitor = () => ({ ip: '192.0.2.10', userAgent: `agent-${uniqueId('ua')}` });

  it('gives a sale to the click it names, over the visitor’s later click', async () => {
    const [a, b] = [await createPartner(db, { programId }), await createPartner(db, { programId })];
    const who = visitor();
    const named = click(a, '2025-05-10T10:00:00Z', who);
    const conversion = sale('2025-05-10T12:00:00Z', { ...who, clickId: named.externalId });
    await ingest([named, click(b, '2025-05-10T11:00:00Z', who), conversion]);
    expect(await attributionOf(conversion.externalId)).toEqual({
      partner_id: a.id,
      attribution_status: 'attributed',
      attribution_method: 'click_id',
      attribution_reason: null,
    });
  });

  it("gives a sale to the visitor's last click, matched by IP and user agent or by visitor id", async () => {
    const [a, b] = [await createPartner(db, { programId }), await createPartner(db, { programId })];
    const who = visitor();
    await ingest([click(a, '2025-05-11T10:00:00Z', who), click(b, '2025-05-11T11:00:00Z', who)]);
    const byBrowser = sale('2025-05-11T12:00:00Z', who);
    const visitorId = uniqueId('visitor');
    const byId = sale('2025-05-11T12:00:00Z', { visitorId });
    await ingest([byBrowser, click(a, '2025-05-11T11:30:00Z', { visitorId }), byId]);
    expect(await attributionOf(byBrowser.externalId)).toMatchObject({ partner_id: b.id, attribution_method: 'last_click' });
    expect(await attributionOf(byId.externalId)).toMatchObject({ partner_id: a.id, attribution_method: 'last_click' });
  });

  it('uses the cookie window of the version in force: 30 days is in, a second more is out', async () => {
    const [a] = [await createPartner(db, { programId })];
    const inside = visitor();
    const outside = visitor();
    await ingest([click(a, '2025-04-01T10:00:00Z', inside), click(a, '2025-04-01T10:00:00Z', outside)]);
    const onTheDay = sale('2025-05-01T10:00:00Z', inside);
    const late = sale('2025-05-01T10:00:01Z', outside);
    await ingest([onTheDay, late]);
    expect(await attributionOf(onTheDay.externalId)).toMatchObject({ partner_id: a.id, attribution_status: 'attributed' });
    expect(await attributionOf(late.externalId)).toEqual({
      partner_id: a.id,
      attribution_status: 'ineligible',
      attribution_method: 'last_click',
      attribution_reason: 'outside_cookie_window',
    });
    expect(await counts([late.externalId])).toEqual({ events: 1, entries: 0 });
  });

  it('records on every click and conversion of one batch the version in force at its own time, the higher of two effective together', async () => {
    const versioned = await createProgram(db, { effectiveFrom: new Date('2025-03-01T00:00:00Z') });
    await addProgramVersion(db, versioned, 2, threeLevelConfiguration(), new Date('2025-06-01T00:00:00Z'));
    await addProgramVersion(db, versioned, 3, threeLevelConfiguration(), new Date('2025-06-01T00:00:00Z'));
    await addProgramVersion(db, versioned, 4, threeLevelConfiguration(), new Date('2025-09-01T00:00:00Z'));
    const [partner] = [await createPartner(db, { programId: versioned })];
    const declared = { referralCode: partner.referralCode };
    const events = {
      beforeAny: click(partner, '2025-02-28T23:59:59Z'),
      first: click(partner, '2025-03-01T00:00:00Z'),
      lastOfFirst: sale('2025-05-31T23:59:59Z', declared),
      tie: sale('2025-06-01T00:00:00Z', declared),
      tieClick: click(partner, '2025-08-31T23:59:59Z'),
      latest: sale('2025-10-01T00:00:00Z', declared),
    };
    await ingest(Object.values(events));
    const stored = await db.execute<{ external_id: string; program_version: number | null; attribution_reason: string | null }>(sql`
      select external_id, program_version, attribution_reason from referral_events
      where external_id = any(${sql.param(Object.values(events).map((event) => event.externalId))}::text[])`);
    const byEvent = Object.fromEntries(Object.entries(events).map(([name, event]) => [name, stored.rows.find((row) => row.external_id === event.externalId)]));
    expect(Object.fromEntries(Object.entries(byEvent).map(([name, row]) => [name, [row!.program_version, row!.attribution_reason]]))).toEqual({
      beforeAny: [null, 'no_configuration_in_force'],
      first: [1, null],
      lastOfFirst: [1, null],
      tie: [3, null],
      tieClick: [3, null],
      latest: [4, null],
    });
  });

  it("falls back to the account's referring partner when the click is too old, and names the partner the event declares", async () => {
    const [clicker, referrer, declared] = [
      await createPartner(db, { programId }),
      await createPartner(db, { programId }),
      await createPartner(db, { programId }),
    ];
    const accountId = await createAccount(db, { link: { partnerId: referrer.id, role: 'referrer' } });
    const who = visitor();
    await ingest([click(clicker, '2025-01-01T10:00:00Z', who)]);
    const renewal = sale('2025-05-01T10:00:00Z', { ...who, accountId });
    const coupon = sale('2025-05-01T10:00:00Z', { referralCode: declared.referralCode });
    await ingest([renewal, coupon]);
    expect(await attributionOf(renewal.externalId)).toMatchObject({ partner_id: referrer.id, attribution_method: 'account_referrer' });
    expect(await attributionOf(coupon.externalId)).toMatchObject({ partner_id: declared.id, attribution_method: 'declared' });
  });

  it('records events of suspended and terminated partners, unknown codes and currency mismatches, earning nothing', async () => {
    const suspended = await createPartner(db, { programId });
    const terminated = await createPartner(db, { programId });
    await setPartnerStatus(db, suspended.id, 'suspended');
    await setPartnerStatus(db, terminated.id, 'terminated');
    const [active] = [await createPartner(db, { programId })];
    const events = {
      suspendedClick: click(suspended, '2025-05-12T10:00:00Z'),
      suspendedSale: sale('2025-05-12T10:00:00Z', { referralCode: suspended.referralCode }),
      terminatedSale: sale('2025-05-12T10:00:00Z', { partnerId: terminated.id }),
      unknownCode: click(active, '2025-05-12T10:00:00Z', { referralCode: 'no-such-code' }),
      unknownPartner: sale('2025-05-12T10:00:00Z', { partnerId: crypto.randomUUID() }),
      nobody: sale('2025-05-12T10:00:00Z'),
      euro: sale('2025-05-12T10:00:00Z', { referralCode: active.referralCode, currency: 'EUR' }),
    };
    const result = await ingest(Object.values(events));
    expect(result.effectsQueued).toBe(0);
    const reasons = Object.fromEntries(
      await Promise.all(
        Object.entries(events).map(async ([name, event]) => {
          const row = (await attributionOf(event.externalId))!;
          return [name, `${row.attribution_status}:${row.attribution_reason}`];
        }),
      ),
    );
    expect(reasons).toEqual({
      suspendedClick: 'ineligible:partner_suspended',
      suspendedSale: 'ineligible:partner_suspended',
      terminatedSale: 'ineligible:partner_terminated',
      unknownCode: 'unattributed:unknown_referral_code',
      unknownPartner: 'unattributed:unknown_partner',
      nobody: 'unattributed:no_click_or_referrer',
      euro: 'ineligible:currency_mismatch',
    });
  });
});

describe('referrals.list', () => {
  it('filters by partner, kind, status and time, pages with a cursor, and hides visitor data without PII access', async () => {
    const [partner] = [await createPartner(db, { programId })];
    const events = Array.from({ length: 5 }, (_, index) => click(partner, `2025-06-0${index + 1}T10:00:00Z`, browser));
    await ingest([...events, sale('2025-06-03T12:00:00Z', { referralCode: partner.referralCode })]);
    const admin = await server.client(['affiliate_admin']);
    const filter = { partnerId: partner.id, kind: 'click' as const, attributionStatus: 'attributed' as const };

    const first = await admin.referrals.list.query({ ...filter, limit: 2 });
    const second = await admin.referrals.list.query({ ...filter, limit: 2, cursor: first.nextCursor! });
    const third = await admin.referrals.list.query({ ...filter, limit: 2, cursor: second.nextCursor! });
    expect([...first.items, ...second.items, ...third.items].map((item) => item.externalId)).toEqual(
      events.map((event) => event.externalId).reverse(),
    );
    expect(third.nextCursor).toBeNull();

    const ranged = await admin.referrals.list.query({ ...filter, occurred: { from: new Date('2025-06-02T00:00:00Z'), to: new Date('2025-06-04T00:00:00Z') } });
    expect(ranged.items.map((item) => item.occurredAt)).toEqual([new Date('2025-06-03T10:00:00.000Z'), new Date('2025-06-02T10:00:00.000Z')]);
    expect(first.items[0]).toMatchObject({ ip: browser.ip, userAgent: browser.userAgent });

    const manager = await server.client(['partner_manager']);
    const seen = await manager.referrals.list.query({ partnerId: partner.id });
    expect(seen.items).toHaveLength(6);
    expect(seen.items.every((item) => item.ip === null && item.userAgent === null)).toBe(true);
    const compliance = await server.client(['compliance_officer']);
    expect((await compliance.referrals.list.query({ ...filter, limit: 1 })).items[0]!.ip).toBe(browser.ip);

    await expect(admin.referrals.list.query({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });
});
