import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createAccount,
  createMoneyTestDatabase,
  createPartner,
  createProgram,
  threeLevelConfiguration,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';

const { db, ingest } = await createMoneyTestDatabase();

const fraud = { maxLeadsPerIpPerDay: 3, maxClicksPerMinute: 5, minSecondsClickToConversion: 10, maxRefundRateBps: 3_000 };
const programId = await createProgram(db, { configuration: threeLevelConfiguration({ rules: { fraud } }) });
const permissiveProgramId = await createProgram(db, {
  configuration: threeLevelConfiguration({ rules: { fraud, selfReferralAllowed: true } }),
});

type Flag = { rule: string; evidence: Record<string, unknown>; event_ids: string[] };

async function flagsOf(partnerId: string): Promise<Flag[]> {
  const result = await db.execute<Flag>(sql`
    select f.rule, f.evidence, array(select e.external_id from fraud_flag_events fe join referral_events e on e.id = fe.event_id
      where fe.flag_id = f.id order by e.external_id) as event_ids
    from fraud_flags f where f.partner_id = ${partnerId} order by f.rule, f.dedupe_key`);
  return result.rows;
}

const ip = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
const event = (kind: string, occurredAt: string, extra: Record<string, unknown> = {}) => ({
  externalId: uniqueId(kind),
  kind,
  occurredAt,
  ...(kind === 'sale' || kind === 'refund' ? { amount: 10_000, currency: 'USD' } : {}),
  ...extra,
});
const partnerIn = (program = programId, options: { email?: string; parentId?: string; payoutFingerprint?: string } = {}) =>
  createPartner(db, { programId: program, ...options });
const by = (partner: TestPartner) => ({ referralCode: partner.referralCode });

describe('self-referral', () => {
  it("flags a sale to an account on the partner's own email domain, or linked to the partner as owner", async () => {
    const domain = `${uniqueId('acme')}.example`;
    const partner = await partnerIn(programId, { email: `owner@${domain}` });
    const sameDomain = await createAccount(db, { emailDomain: domain.toUpperCase() });
    const owned = await createAccount(db, { emailDomain: 'elsewhere.example', link: { partnerId: partner.id, role: 'owner' } });
    const a = event('sale', '2025-05-01T10:00:00Z', { ...by(partner), accountId: sameDomain });
    const b = event('lead', '2025-05-01T10:00:00Z', { ...by(partner), accountId: owned });
    await ingest([a, b]);
    const flags = await flagsOf(partner.id);
    expect(flags).toHaveLength(2);
    expect(flags).toEqual(
      expect.arrayContaining([
        { rule: 'self_referral', evidence: { accountId: sameDomain, match: 'email_domain', emailDomain: domain.toUpperCase() }, event_ids: [a.externalId] },
        { rule: 'self_referral', evidence: { accountId: owned, match: 'owner_account', emailDomain: 'elsewhere.example' }, event_ids: [b.externalId] },
      ]),
    );
  });

  it('does not flag another domain, a shared public mailbox domain, or a program that allows self-referral', async () => {
    const domain = `${uniqueId('acme')}.example`;
    const partner = await partnerIn(programId, { email: `owner@${domain}` });
    const gmailPartner = await partnerIn(programId, { email: `${uniqueId('someone')}@gmail.com` });
    const allowed = await partnerIn(permissiveProgramId, { email: `owner@${domain}x` });
    await ingest([
      event('sale', '2025-05-01T10:00:00Z', { ...by(partner), accountId: await createAccount(db, { emailDomain: `other-${domain}` }) }),
      event('sale', '2025-05-01T10:00:00Z', { ...by(gmailPartner), accountId: await createAccount(db, { emailDomain: 'gmail.com' }) }),
      event('sale', '2025-05-01T10:00:00Z', { ...by(allowed), accountId: await createAccount(db, { emailDomain: `${domain}x` }) }),
    ]);
    for (const subject of [partner, gmailPartner, allowed]) expect(await flagsOf(subject.id)).toEqual([]);
  });
});

describe('leads from one IP', () => {
  it('flags more leads from one IP on one UTC day than the limit, whichever partners they went to', async () => {
    const [a, b] = [await partnerIn(), await partnerIn()];
    const address = ip();
    const earlier = event('lead', '2025-05-02T00:00:00Z', { ...by(b), ip: address });
    await ingest([earlier, event('lead', '2025-05-02T08:00:00Z', { ...by(b), ip: address })]);
    const third = event('lead', '2025-05-02T12:00:00Z', { ...by(a), ip: address });
    const fourth = event('lead', '2025-05-02T23:59:59Z', { ...by(a), ip: address });
    await ingest([third, fourth]);
    expect(await flagsOf(a.id)).toEqual([
      { rule: 'lead_ip_velocity', evidence: { ip: address, day: '2025-05-02', leads: 4, limit: 3 }, event_ids: [third.externalId, fourth.externalId].sort() },
    ]);
    // The limit was not passed when b's leads arrived.
    expect(await flagsOf(b.id)).toEqual([]);
  });

  it('does not flag the limit itself, nor leads spread over two days', async () => {
    const partner = await partnerIn();
    const address = ip();
    await ingest([
      event('lead', '2025-05-03T01:00:00Z', { ...by(partner), ip: address }),
      event('lead', '2025-05-03T02:00:00Z', { ...by(partner), ip: address }),
      event('lead', '2025-05-03T23:59:59.999Z', { ...by(partner), ip: address }),
      event('lead', '2025-05-04T00:00:00Z', { ...by(partner), ip: address }),
    ]);
    expect(await flagsOf(partner.id)).toEqual([]);
  });
});

describe('click velocity', () => {
  const clicksAt = (partner: TestPartner, seconds: number[]) =>
    seconds.map((second) => event('click', new Date(Date.parse('2025-05-05T10:00:00Z') + second * 1000).toISOString(), by(partner)));

  it("flags more of a partner's clicks within 60 seconds than the limit", async () => {
    const partner = await partnerIn();
    const clicks = clicksAt(partner, [0, 10, 20, 30, 40, 59.999]);
    await ingest(clicks.slice(0, 3));
    await ingest(clicks.slice(3));
    const [flag] = await flagsOf(partner.id);
    expect(flag).toMatchObject({ rule: 'click_velocity', evidence: { peakClicksPerMinute: 6, limit: 5 }, event_ids: [clicks[5]!.externalId] });
  });

  it('does not flag the limit, nor the same clicks when the last comes a full minute after the first', async () => {
    const [steady, spread] = [await partnerIn(), await partnerIn()];
    await ingest([...clicksAt(steady, [0, 1, 2, 3, 4]), ...clicksAt(spread, [0, 10, 20, 30, 40, 60])]);
    expect(await flagsOf(steady.id)).toEqual([]);
    expect(await flagsOf(spread.id)).toEqual([]);
  });
});

describe('conversion speed', () => {
  it('flags a conversion sooner after its click than the minimum, and not one exactly at it', async () => {
    const [fast, measured] = [await partnerIn(), await partnerIn()];
    const fastClick = event('click', '2025-05-06T10:00:00Z', by(fast));
    const fastSale = event('sale', '2025-05-06T10:00:09.999Z', { clickId: fastClick.externalId });
    const click = event('click', '2025-05-06T10:00:00Z', by(measured));
    const sale = event('sale', '2025-05-06T10:00:10Z', { clickId: click.externalId });
    await ingest([fastClick, fastSale, click, sale]);
    expect(await flagsOf(fast.id)).toMatchObject([{ rule: 'fast_conversion', evidence: { limitSeconds: 10 }, event_ids: [fastSale.externalId] }]);
    expect(await flagsOf(measured.id)).toEqual([]);
  });
});

describe('refund rate', () => {
  async function refunded(amounts: number[], sales = 5) {
    const partner = await partnerIn();
    const sold = Array.from({ length: sales }, (_, index) => event('sale', `2025-05-0${index + 1}T10:00:00Z`, by(partner)));
    await ingest(sold);
    const refunds = amounts.map((amount, index) =>
      event('refund', '2025-05-08T10:00:00Z', { refundOf: sold[index]!.externalId, amount }),
    );
    await ingest(refunds);
    return { partner, refunds };
  }

  it('flags refunds above the bound of the partner’s recent sales by amount', async () => {
    // 15,001 of 50,000 = 30.002% > 30%.
    const { partner, refunds } = await refunded([10_000, 5_001]);
    expect(await flagsOf(partner.id)).toEqual([
      {
        rule: 'refund_rate',
        evidence: { sales: 5, soldAmount: 50_000, refundedAmount: 15_001, rateBps: 3_000, limitBps: 3_000, lookbackDays: 90 },
        event_ids: refunds.map((refund) => refund.externalId).sort(),
      },
    ]);
  });

  it('does not flag a rate exactly at the bound, nor a partner with too few sales to judge', async () => {
    expect(await flagsOf((await refunded([10_000, 5_000])).partner.id)).toEqual([]);
    expect(await flagsOf((await refunded([10_000, 10_000], 4)).partner.id)).toEqual([]);
  });
});

describe('sock puppets', () => {
  it('flags an upline whose payout identity is the converting partner’s, and not one with its own', async () => {
    const shared = uniqueId('fingerprint');
    const recruiter = await partnerIn(programId, { payoutFingerprint: shared });
    const puppet = await partnerIn(programId, { parentId: recruiter.id });
    const grandchild = await partnerIn(programId, { parentId: puppet.id, payoutFingerprint: shared });
    const honest = await partnerIn(programId, { payoutFingerprint: uniqueId('fingerprint') });
    const recruit = await partnerIn(programId, { parentId: honest.id, payoutFingerprint: uniqueId('fingerprint') });
    const suspicious = event('sale', '2025-05-07T10:00:00Z', by(grandchild));
    await ingest([suspicious, event('sale', '2025-05-07T10:00:00Z', by(recruit))]);
    expect(await flagsOf(recruiter.id)).toEqual([
      { rule: 'shared_payout_fingerprint', evidence: { downlinePartnerId: grandchild.id, depth: 2 }, event_ids: [suspicious.externalId] },
    ]);
    expect(await flagsOf(puppet.id)).toEqual([]);
    expect(await flagsOf(honest.id)).toEqual([]);
  });
});

describe('flags', () => {
  it('opens one flag per rule and subject: later hits join the open flag, and each flag holds its partner', async () => {
    const partner = await partnerIn();
    const click = event('click', '2025-05-09T10:00:00Z', by(partner));
    await ingest([click, event('sale', '2025-05-09T10:00:01Z', { clickId: click.externalId })]);
    await ingest([event('sale', '2025-05-09T10:00:02Z', { clickId: click.externalId })]);
    const flags = await flagsOf(partner.id);
    expect(flags).toHaveLength(1);
    expect(flags[0]!.event_ids).toHaveLength(2);
    const holds = await db.execute<{ kind: string; source: string; released_at: Date | null }>(sql`
      select kind, source, released_at from partner_holds where partner_id = ${partner.id}`);
    expect(holds.rows).toEqual([{ kind: 'fraud', source: expect.stringMatching(/^fraud_flag:[0-9a-f-]{36}$/), released_at: null }]);
  });
});
