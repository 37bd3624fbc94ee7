import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { performanceThresholdsJob } from '../jobs/performance-thresholds.js';
import { evaluateTier } from '../server/domain/performance/evaluate.js';
import { measureCandidates } from '../server/domain/performance/candidates.js';
import { measurePartners, type MetricValues } from '../server/domain/performance/metrics.js';
import { planTierChanges } from '../server/domain/performance/plan.js';
import { PERFORMANCE_METRICS, performanceThreshold, programConfiguration, type ProgramConfigurationInput } from '../server/domain/programs/configuration.js';
import { createTestDatabase } from './helpers/db.js';
import {
  countRows,
  createJobPartner,
  createJobProgram,
  insertEvents,
  iso,
  notificationsTo,
  partnerStates,
  programName,
  subscribeWebhook,
  webhookPayloads,
  type EventOptions,
} from './helpers/factories/partner-jobs.js';

const database = await createTestDatabase();
const { db } = database;
const job = performanceThresholdsJob('6 hours');
const run = (now: string) => job.run({ db, now: new Date(now) });

const configuration: ProgramConfigurationInput = {
  commissionTiers: [
    { name: 'bronze', rateType: 'percentage', value: 1000 },
    { name: 'silver', rateType: 'percentage', value: 1500, overrides: [{ level: 1, rateType: 'percentage', value: 300 }] },
    { name: 'gold', rateType: 'percentage', value: 2000 },
  ],
  performanceThresholds: [
    { tier: 'bronze', metric: 'conversions', periodDays: 30, promoteAt: 3 },
    { tier: 'silver', metric: 'conversions', periodDays: 30, promoteAt: 6, demoteAt: 1 },
    { tier: 'silver', metric: 'refund_rate', periodDays: 30, demoteAt: 5000 },
    { tier: 'gold', metric: 'conversions', periodDays: 30, demoteAt: 4 },
  ],
  rules: { demotionGraceDays: 7 },
};

const sales = (count: number, at: string): EventOptions[] => Array.from({ length: count }, () => ({ kind: 'sale', at, amount: 10_000 }));
const clicks = (count: number, at: string): EventOptions[] => Array.from({ length: count }, () => ({ kind: 'click', at }));

async function tierHistory(partnerIds: string[]) {
  const result = await db.execute<{ partner_id: string; from_tier: string; to_tier: string; reason_code: string; note: string; actor_id: string; at: string }>(sql`
    select partner_id, from_tier, to_tier, reason_code, note, actor_id, created_at as at from partner_tier_history
    where partner_id = any(${sql.param(partnerIds)}::uuid[]) order by id`);
  return result.rows.map((row) => ({ ...row, at: iso(row.at) }));
}

async function pendingDemotions(partnerIds: string[]) {
  const result = await db.execute<{ partner_id: string; tier: string; metric: string; value: number; threshold: number; pending_since: string }>(sql`
    select partner_id, tier, metric, value, threshold, pending_since from partner_demotion_pending
    where partner_id = any(${sql.param(partnerIds)}::uuid[])`);
  return Object.fromEntries(result.rows.map(({ partner_id, pending_since, ...row }) => [partner_id, { ...row, pendingSince: iso(pending_since) }]));
}

async function footprint() {
  const tables = ['notifications', 'partner_tier_history', 'activity', 'partner_demotion_pending', 'webhook_deliveries'];
  return Promise.all(tables.map((table) => countRows(db, table)));
}

describe('the performance-threshold job', () => {
  it('promotes at once, demotes after the grace period, alerts once, and records, audits and announces each change', async () => {
    const programId = await createJobProgram(db, 'Performance', configuration);
    const name = await programName(db, programId);
    await subscribeWebhook(db, ['partner.tier_changed']);
    const partner = (tier: string, status: 'active' | 'suspended' = 'active') => createJobPartner(db, { programId, tier, status });
    const climber = await partner('bronze');
    await db.execute(sql`
      insert into enrollments (partner_id, program_id, tier, agreement_version_id, enrolled_by)
      values (${climber}, ${programId}, 'bronze', gen_random_uuid(), 'test')`);
    await insertEvents(db, climber, programId, [...sales(1, '2025-05-10T12:00:00Z'), ...sales(1, '2025-05-15T12:00:00Z'), ...sales(1, '2025-05-20T12:00:00Z')]);
    const steady = await partner('bronze');
    await insertEvents(db, steady, programId, [
      ...clicks(3, '2025-05-10T09:00:00Z'),
      ...clicks(3, '2025-05-11T09:00:00Z'),
      ...clicks(2, '2025-05-12T09:00:00Z'),
      ...sales(1, '2025-05-10T12:00:00Z'),
      ...sales(1, '2025-05-11T12:00:00Z'),
    ]);
    const idle = await partner('silver');
    await insertEvents(db, idle, programId, clicks(1, '2025-05-20T09:00:00Z'));
    const refunder = await partner('silver');
    const refunded = await insertEvents(db, refunder, programId, sales(3, '2025-05-20T12:00:00Z'));
    await insertEvents(db, refunder, programId, [
      { kind: 'refund', at: '2025-05-25T12:00:00Z', amount: 10_000, refundOf: refunded[0] },
      { kind: 'refund', at: '2025-05-25T12:00:00Z', amount: 10_000, refundOf: refunded[1] },
    ]);
    const goldHolder = await partner('gold');
    await insertEvents(db, goldHolder, programId, sales(5, '2025-05-20T12:00:00Z'));
    const goldSlacker = await partner('gold');
    await insertEvents(db, goldSlacker, programId, sales(5, '2025-04-15T12:00:00Z'));
    const star = await partner('silver');
    await insertEvents(db, star, programId, sales(7, '2025-05-20T12:00:00Z'));
    const suspended = await partner('bronze', 'suspended');
    await insertEvents(db, suspended, programId, sales(5, '2025-05-20T12:00:00Z'));
    const middling = await partner('silver');
    await insertEvents(db, middling, programId, sales(2, '2025-05-25T12:00:00Z'));
    const everyone = [climber, steady, idle, refunder, goldHolder, goldSlacker, star, suspended, middling];

    // What the job measures, over the 30 days to the clock.
    const scope = { programId, currency: 'USD', tiers: ['bronze', 'silver', 'gold'], periods: [30], metrics: [...PERFORMANCE_METRICS] };
    const measured = await measurePartners(db, scope, new Date('2025-06-01T00:00:00Z'));
    const metrics = (partnerId: string) => measured.get(partnerId)?.byPeriod.get(30);
    expect(metrics(steady)).toEqual({ conversions: 2, revenue: 20_000, conversion_rate: 2_500, refund_rate: 0, active_days: 3 });
    expect(metrics(refunder)).toEqual({ conversions: 3, revenue: 30_000, conversion_rate: null, refund_rate: 6_666, active_days: 1 });
    expect(metrics(idle)).toEqual({ conversions: 0, revenue: 0, conversion_rate: 0, refund_rate: null, active_days: 1 });
    expect(metrics(goldSlacker)).toEqual({ conversions: 0, revenue: 0, conversion_rate: null, refund_rate: null, active_days: 0 });
    expect(measured.has(suspended)).toBe(false);
    // The job reads back only the partners at or past a bound of their tier, and counts all it measured.
    const thresholds = programConfiguration.parse(configuration).performanceThresholds;
    const candidates = await measureCandidates(db, scope, thresholds, new Date('2025-06-01T00:00:00Z'));
    expect(candidates.measured).toBe(8);
    expect(new Set(candidates.partners.keys())).toEqual(new Set([climber, idle, refunder, goldSlacker, star]));
    expect(candidates.partners.get(refunder)).toEqual(measured.get(refunder));
    const unreachable = [performanceThreshold.parse({ tier: 'bronze', metric: 'conversions', periodDays: 30, promoteAt: 100 })];
    expect(await measureCandidates(db, scope, unreachable, new Date('2025-06-01T00:00:00Z'))).toEqual({ measured: 8, partners: new Map() });

    await run('2025-06-01T00:00:00Z');

    expect(await partnerStates(db, everyone)).toEqual({
      [climber]: { status: 'active', tier: 'silver' },
      [steady]: { status: 'active', tier: 'bronze' },
      [idle]: { status: 'active', tier: 'silver' },
      [refunder]: { status: 'active', tier: 'silver' },
      [goldHolder]: { status: 'active', tier: 'gold' },
      [goldSlacker]: { status: 'active', tier: 'gold' },
      [star]: { status: 'active', tier: 'gold' },
      [suspended]: { status: 'suspended', tier: 'bronze' },
      [middling]: { status: 'active', tier: 'silver' },
    });
    const firstRun = '2025-06-01T00:00:00.000Z';
    expect(await tierHistory(everyone)).toEqual(
      expect.arrayContaining([
        {
          partner_id: climber,
          from_tier: 'bronze',
          to_tier: 'silver',
          reason_code: 'performance',
          note: 'Promoted by performance: conversions 3 over 30 days (promote at 3)',
          actor_id: 'system:performance-thresholds',
          at: firstRun,
        },
        {
          partner_id: star,
          from_tier: 'silver',
          to_tier: 'gold',
          reason_code: 'performance',
          note: 'Promoted by performance: conversions 7 over 30 days (promote at 6)',
          actor_id: 'system:performance-thresholds',
          at: firstRun,
        },
      ]),
    );
    expect(await tierHistory(everyone)).toHaveLength(2);
    const enrollment = await db.execute<{ tier: string }>(sql`select tier from enrollments where partner_id = ${climber}`);
    expect(enrollment.rows).toEqual([{ tier: 'silver' }]);
    const audit = await db.execute<{ entity_id: string; before: unknown; after: unknown }>(sql`
      select entity_id, before, after from activity where action = 'partner.changeTier' and entity_id = any(${sql.param(everyone)}::text[])`);
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { entity_id: climber, before: expect.objectContaining({ tier: 'bronze' }), after: expect.objectContaining({ tier: 'silver', reasonCode: 'performance' }) },
        { entity_id: star, before: expect.objectContaining({ tier: 'silver' }), after: expect.objectContaining({ tier: 'gold', reasonCode: 'performance' }) },
      ]),
    );
    expect(audit.rows).toHaveLength(2);
    expect(await webhookPayloads(db, 'partner.tier_changed', everyone)).toEqual(
      expect.arrayContaining([
        { partnerId: climber, programId, fromTier: 'bronze', toTier: 'silver', at: firstRun },
        { partnerId: star, programId, fromTier: 'silver', toTier: 'gold', at: firstRun },
      ]),
    );

    expect(await pendingDemotions(everyone)).toEqual({
      [idle]: { tier: 'silver', metric: 'conversions', value: 0, threshold: 1, pendingSince: firstRun },
      [refunder]: { tier: 'silver', metric: 'refund_rate', value: 6666, threshold: 5000, pendingSince: firstRun },
      [goldSlacker]: { tier: 'gold', metric: 'conversions', value: 0, threshold: 4, pendingSince: firstRun },
    });

    const sent = await notificationsTo(db, everyone);
    expect(sent.filter((notification) => notification.channel === 'email').map((notification) => [notification.partnerId, notification.kind]).sort()).toEqual(
      [
        [climber, 'tier_changed'],
        [star, 'tier_changed'],
        [idle, 'performance_alert'],
        [refunder, 'performance_alert'],
        [goldSlacker, 'performance_alert'],
      ].sort(),
    );
    const email = (partnerId: string) => sent.find((notification) => notification.partnerId === partnerId && notification.channel === 'email')!;
    expect(email(climber)).toMatchObject({ subject: `Your tier in ${name} is now silver`, summary: 'You moved from bronze to silver: 15% on your own sales.' });
    expect(email(climber).bodyText).toContain('Your tier in');
    expect(email(climber).bodyText).toContain('changed from bronze to silver, effective Jun 1, 2025.');
    expect(email(climber).bodyText).toContain('- Your own sales: 15%\n- Sales of partners you referred, level 1: 3%');
    expect(email(idle)).toMatchObject({
      subject: 'Your conversions is below the silver threshold',
      summary: 'Your conversions over 30 days: 0, below 1.',
    });
    expect(email(refunder)).toMatchObject({
      subject: 'Your refund rate is above the silver threshold',
      summary: 'Your refund rate over 30 days: 66.66%, above 50%.',
    });
    // For a refund rate, above the bound is the bad side.
    expect(email(refunder).bodyText).toContain('Staying above it can move you to a lower tier at the next review.');
    expect(email(idle).bodyText).toContain('Staying below it can move you to a lower tier at the next review.');
    expect(email(goldSlacker).bodyText).toContain('Over the last 30 days your conversions was 0, below the gold tier');

    // The same period again changes and sends nothing.
    const before = await footprint();
    await run('2025-06-01T03:00:00Z');
    expect(await footprint()).toEqual(before);

    // Within the grace period nothing moves.
    await run('2025-06-05T00:00:00Z');
    expect(await footprint()).toEqual(before);

    // After it: still below → demoted; back above → the pending demotion is dropped.
    await insertEvents(db, goldSlacker, programId, sales(5, '2025-06-05T12:00:00Z'));
    await run('2025-06-09T00:00:00Z');
    const states = await partnerStates(db, everyone);
    expect([states[idle]!.tier, states[refunder]!.tier, states[goldSlacker]!.tier, states[climber]!.tier, states[star]!.tier]).toEqual([
      'bronze',
      'bronze',
      'gold',
      'silver',
      'gold',
    ]);
    expect(await pendingDemotions(everyone)).toEqual({});
    const demotions = (await tierHistory(everyone)).slice(2);
    expect(demotions.map(({ partner_id, from_tier, to_tier, note }) => ({ partner_id, from_tier, to_tier, note }))).toEqual(
      expect.arrayContaining([
        { partner_id: idle, from_tier: 'silver', to_tier: 'bronze', note: 'Demoted by performance after 7 days of grace: conversions 0 over 30 days (demote at 1)' },
        {
          partner_id: refunder,
          from_tier: 'silver',
          to_tier: 'bronze',
          note: 'Demoted by performance after 7 days of grace: refund_rate 6666 over 30 days (demote at 5000)',
        },
      ]),
    );
    expect(demotions).toHaveLength(2);
    const announced = (await notificationsTo(db, [idle, refunder], ['tier_changed'])).filter((notification) => notification.channel === 'email');
    expect(announced.map((notification) => notification.summary)).toEqual([
      'You moved from silver to bronze: 10% on your own sales.',
      'You moved from silver to bronze: 10% on your own sales.',
    ]);

    const afterDemotions = await footprint();
    await run('2025-06-09T03:00:00Z');
    expect(await footprint()).toEqual(afterDemotions);
  });

  it('vacuums the tables its tier moves updated after a run that moved anyone, and only then', async () => {
    const programId = await createJobProgram(db, 'Vacuumed', configuration);
    const climber = await createJobPartner(db, { programId, tier: 'bronze', status: 'active' });
    await insertEvents(db, climber, programId, [...sales(1, '2025-07-01T12:00:00Z'), ...sales(1, '2025-07-05T12:00:00Z'), ...sales(1, '2025-07-10T12:00:00Z')]);
    const vacuums = async () =>
      (
        await db.execute<{ table: string; vacuums: number }>(sql`
          select relname as table, vacuum_count::int as vacuums from pg_stat_user_tables
          where relname in ('partners', 'partner_tiers', 'enrollments') order by relname`)
      ).rows;
    const before = await vacuums();

    await run('2025-07-20T00:00:00Z');
    expect((await partnerStates(db, [climber]))[climber]).toEqual({ status: 'active', tier: 'silver' });
    const after = await vacuums();
    expect(after).toEqual(before.map((row) => ({ ...row, vacuums: row.vacuums + 1 })));

    await run('2025-07-20T00:00:00Z');
    expect(await vacuums()).toEqual(after);
  });
});

describe('tier decisions', () => {
  const threshold = (input: Record<string, unknown>) => performanceThreshold.parse({ tier: 'silver', periodDays: 30, ...input });
  const values = (overrides: Partial<MetricValues>): Map<number, MetricValues> =>
    new Map([[30, { conversions: 0, revenue: 0, conversion_rate: null, refund_rate: null, active_days: 0, ...overrides }]]);

  it('promotes only when every promoteAt bound of the tier is reached, and a rate without a denominator decides nothing', () => {
    const thresholds = [
      threshold({ metric: 'conversions', promoteAt: 10, demoteAt: 2 }),
      threshold({ metric: 'conversion_rate', promoteAt: 500 }),
      threshold({ metric: 'refund_rate', demoteAt: 3000 }),
    ];
    expect(evaluateTier(thresholds, values({ conversions: 12, conversion_rate: 600 }))).toMatchObject({ decision: 'promote' });
    expect(evaluateTier(thresholds, values({ conversions: 12, conversion_rate: 400 }))).toEqual({ decision: 'stay' });
    expect(evaluateTier(thresholds, values({ conversions: 12, conversion_rate: null }))).toEqual({ decision: 'stay' });
    expect(evaluateTier(thresholds, values({ conversions: 12, conversion_rate: 600, refund_rate: 3000 }))).toEqual({
      decision: 'demote',
      reason: { metric: 'refund_rate', value: 3000, bound: 3000, periodDays: 30 },
    });
  });

  it('does not promote into a tier whose thresholds would demote the partner again', () => {
    const plan = planTierChanges({
      tiers: ['bronze', 'silver'],
      thresholds: [
        threshold({ tier: 'bronze', metric: 'conversions', promoteAt: 3 }),
        threshold({ metric: 'refund_rate', demoteAt: 5000 }),
      ],
      measured: new Map([
        ['refunds a lot', { tier: 'bronze', byPeriod: values({ conversions: 3, refund_rate: 6000 }) }],
        ['refunds little', { tier: 'bronze', byPeriod: values({ conversions: 3, refund_rate: 100 }) }],
      ]),
      pendingSince: new Map(),
      demotionGraceDays: 7,
      now: new Date('2025-06-10T00:00:00Z'),
    });
    expect(plan.changes.map((change) => change.partnerId)).toEqual(['refunds little']);
  });

  it('promotes as far as the metrics carry the partner in one run, so a second run in the period has nothing to do', () => {
    const thresholds = [
      threshold({ tier: 'bronze', metric: 'conversions', promoteAt: 3 }),
      threshold({ tier: 'silver', metric: 'conversions', promoteAt: 6 }),
      threshold({ tier: 'gold', metric: 'refund_rate', demoteAt: 5000 }),
    ];
    const plan = (tier: string, metrics: Partial<MetricValues>) =>
      planTierChanges({
        tiers: ['bronze', 'silver', 'gold'],
        thresholds,
        measured: new Map([['p', { tier, byPeriod: values(metrics) }]]),
        pendingSince: new Map(),
        demotionGraceDays: 7,
        now: new Date('2025-06-10T00:00:00Z'),
      });
    expect(plan('bronze', { conversions: 7, refund_rate: 100 }).changes).toEqual([
      {
        partnerId: 'p',
        fromTier: 'bronze',
        toTier: 'gold',
        note: 'Promoted by performance: conversions 7 over 30 days (promote at 3); conversions 7 over 30 days (promote at 6)',
      },
    ]);
    expect(plan('gold', { conversions: 7, refund_rate: 100 })).toEqual({ changes: [], newPending: [], pending: [] });
    // Gold would demote them for refunds: they stop at silver, where nothing moves them further.
    expect(plan('bronze', { conversions: 7, refund_rate: 6000 }).changes.map((change) => change.toTier)).toEqual(['silver']);
    expect(plan('silver', { conversions: 7, refund_rate: 6000 })).toEqual({ changes: [], newPending: [], pending: [] });
  });

  it('after a demotion judges the lower tier at once: its pending demotion starts, or without grace the demotion goes on', () => {
    const input = {
      tiers: ['bronze', 'silver', 'gold'],
      thresholds: [
        threshold({ tier: 'gold', metric: 'conversions', demoteAt: 4 }),
        threshold({ tier: 'silver', metric: 'conversions', demoteAt: 1 }),
      ],
      measured: new Map([['p', { tier: 'gold', byPeriod: values({ conversions: 0 }) }]]),
      now: new Date('2025-06-10T00:00:00Z'),
    };
    const graceOver = planTierChanges({ ...input, pendingSince: new Map([['p', new Date('2025-06-01T00:00:00Z')]]), demotionGraceDays: 7 });
    expect(graceOver.changes.map(({ fromTier, toTier }) => [fromTier, toTier])).toEqual([['gold', 'silver']]);
    expect(graceOver.newPending).toEqual([{ partnerId: 'p', tier: 'silver', reason: { metric: 'conversions', value: 0, bound: 1, periodDays: 30 } }]);
    expect(graceOver.pending).toEqual([]);
    const noGrace = planTierChanges({ ...input, pendingSince: new Map(), demotionGraceDays: 0 });
    expect(noGrace).toMatchObject({ changes: [{ fromTier: 'gold', toTier: 'bronze' }], newPending: [], pending: [] });
  });

  it('demotes at once when the program gives no grace, and keeps a pending demotion until its grace is over', () => {
    const input = {
      tiers: ['bronze', 'silver'],
      thresholds: [threshold({ metric: 'conversions', demoteAt: 1 })],
      measured: new Map([['p', { tier: 'silver', byPeriod: values({ conversions: 0 }) }]]),
      now: new Date('2025-06-10T00:00:00Z'),
    };
    expect(planTierChanges({ ...input, pendingSince: new Map(), demotionGraceDays: 0 }).changes).toEqual([
      { partnerId: 'p', fromTier: 'silver', toTier: 'bronze', note: 'Demoted by performance after 0 days of grace: conversions 0 over 30 days (demote at 1)' },
    ]);
    const pending = planTierChanges({ ...input, pendingSince: new Map([['p', new Date('2025-06-04T00:00:01Z')]]), demotionGraceDays: 6 });
    expect(pending).toEqual({ changes: [], newPending: [], pending: ['p'] });
    const due = planTierChanges({ ...input, pendingSince: new Map([['p', new Date('2025-06-04T00:00:00Z')]]), demotionGraceDays: 6 });
    expect(due.changes.map((change) => change.toTier)).toEqual(['bronze']);
  });
});
