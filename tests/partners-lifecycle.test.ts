import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { enrollments, partnerHolds, partnerPayoutDetails, partners, partnerStatusHistory, partnerTree, type PartnerStatus } from '../db/schema/partners.js';
import { DEFAULT_MAX_HIERARCHY_DEPTH } from '../server/domain/hierarchy/depth-limit.js';
import { payoutFingerprint } from '../server/domain/partners/payout.js';
import { createTestDatabase } from './helpers/db.js';
import { insertProgram, insertTree } from './helpers/factories/hierarchy.js';
import {
  acceptCurrentAgreement,
  createPartner,
  createStaffUser,
  createTestProgram,
  insertDocument,
  publishAgreementVersion,
  samplePayout,
  type PartnerSpec,
} from './helpers/factories/partners.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const managerId = await createStaffUser(db, ['partner_manager']);
const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager'], { sub: managerId });
const programManager = await server.client(['program_manager']);
const complianceOfficer = await server.client(['compliance_officer']);
const program = await createTestProgram(db, { tiers: ['silver', 'gold'], requiredDocuments: ['w9'] });

const referralCodeOf = async (id: string) =>
  (await db.select({ code: partners.referralCode }).from(partners).where(eq(partners.id, id)))[0]!.code;
const statusOf = async (id: string) => (await db.select({ status: partners.status }).from(partners).where(eq(partners.id, id)))[0]!.status;

let applicant = 0;
const application = (overrides: Record<string, unknown> = {}) => {
  applicant += 1;
  return {
    name: `Ada Applicant ${applicant}`,
    email: `ada.${applicant}.${Date.now()}@example.com`,
    company: 'Lovelace Media',
    website: 'https://lovelace.example.com',
    country: 'gb',
    promotionalMethods: ['blog', 'social_media'] as ('blog' | 'social_media')[],
    ...overrides,
  };
};

describe('a partner through every step', () => {
  it('goes from application to active, then suspended, reactivated and terminated, each step recorded', async () => {
    const applied = await manager.partners.submitApplication.mutate(application({ phone: '+44 20 7946 0958' }));
    expect(applied).toMatchObject({ status: 'applied', country: 'GB', managerId, piiVisible: true, phone: '+44 20 7946 0958' });
    expect(applied.referralCode).toMatch(/^[A-Z2-9]{8}$/);
    const partnerId = applied.id;

    await manager.partners.verify.mutate({ partnerId, decision: 'approve', note: 'identity checked' });
    await acceptCurrentAgreement(db, partnerId);
    const enrolled = await programManager.partners.enroll.mutate({ partnerId, programId: program.id });
    expect(enrolled).toMatchObject({ fromStatus: 'verified', toStatus: 'enrolled' });
    await manager.partners.completeSetup.mutate({ partnerId, ...samplePayout });
    await manager.partners.completeTraining.mutate({ partnerId });
    await insertDocument(db, partnerId, 'w9');
    await manager.partners.activate.mutate({ partnerId });
    expect(await statusOf(partnerId)).toBe('active');

    await manager.partners.suspend.mutate({ partnerId, reasonCode: 'performance', note: 'no sales in 90 days' });
    await manager.partners.reactivate.mutate({ partnerId, reasonCode: 'performance', note: 'new campaign agreed' });
    await admin.partners.terminate.mutate({ partnerId, reasonCode: 'partner_request', note: 'leaving the program' });

    const history = await admin.partners.history.query({ partnerId });
    expect(history.map((entry) => [entry.fromStatus, entry.toStatus])).toEqual([
      [null, 'applied'],
      ['applied', 'verified'],
      ['verified', 'enrolled'],
      ['enrolled', 'setup_complete'],
      ['setup_complete', 'trained'],
      ['trained', 'active'],
      ['active', 'suspended'],
      ['suspended', 'active'],
      ['active', 'terminated'],
    ]);
    expect(history[6]).toMatchObject({ reasonCode: 'performance', note: 'no sales in 90 days', actorId: managerId });

    const partner = await admin.partners.get.query({ partnerId });
    expect(partner).toMatchObject({ status: 'terminated', programId: program.id, tier: 'silver' });
    for (const milestone of ['verifiedAt', 'enrolledAt', 'setupCompletedAt', 'trainingCompletedAt', 'activatedAt'] as const) {
      expect(partner[milestone]).not.toBeNull();
    }

    const [enrollment] = await db
      .select({ tier: enrollments.tier, endedAt: enrollments.endedAt, agreementVersionId: enrollments.agreementVersionId })
      .from(enrollments)
      .where(eq(enrollments.partnerId, partnerId));
    expect(enrollment).toMatchObject({ tier: 'silver' });
    expect(enrollment!.endedAt).not.toBeNull();
    const [payout] = await db.select({ fingerprint: partnerPayoutDetails.fingerprint }).from(partnerPayoutDetails).where(eq(partnerPayoutDetails.partnerId, partnerId));
    expect(payout!.fingerprint).toBe(payoutFingerprint(samplePayout));

    const audit = await db
      .select({ action: activity.action, after: activity.after })
      .from(activity)
      .where(and(eq(activity.entityType, 'partner'), eq(activity.entityId, partnerId)))
      .orderBy(asc(activity.id));
    expect(audit.map((entry) => entry.action)).toEqual([
      'partner.apply',
      'partner.verify',
      'partner.enroll',
      'partner.completeSetup',
      'partner.completeTraining',
      'partner.activate',
      'partner.suspend',
      'partner.reactivate',
      'partner.terminate',
    ]);
    expect(audit[0]!.after).toMatchObject({ name: '[redacted]', email: '[redacted]', phone: '[redacted]', company: '[redacted]', country: 'GB' });
    expect(audit[2]!.after).toMatchObject({ status: 'enrolled', programId: program.id, tier: 'silver' });
    expect(JSON.stringify(audit)).not.toContain(samplePayout.details.accountNumber);
  });

  it('records a rejected application as final, with its reason', async () => {
    const { id } = await admin.partners.submitApplication.mutate(application());
    await expect(admin.partners.verify.mutate({ partnerId: id, decision: 'reject', reasonCode: 'compliance', note: 'sanctioned country' })).resolves.toMatchObject({
      toStatus: 'rejected',
      reasonCode: 'compliance',
    });
    await expect(admin.partners.verify.mutate({ partnerId: id, decision: 'approve' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Partner is rejected; it cannot become verified',
    });
  });
});

describe('announcements', () => {
  it('tells subscribed tools (webhook outbox) and the partner (notification outbox) of each change, in its transaction', async () => {
    await admin.webhooks.create.mutate({
      url: 'http://127.0.0.1:9/partner-events',
      events: ['partner.applied', 'partner.activated', 'partner.suspended', 'partner.reactivated', 'partner.terminated', 'partner.tier_changed'],
    });
    const { id: partnerId } = await admin.partners.submitApplication.mutate(application());
    const trained = await createPartner(db, { status: 'trained', program });
    await admin.partners.activate.mutate({ partnerId: trained.id });
    await admin.partners.changeTier.mutate({ partnerId: trained.id, tier: 'gold', reasonCode: 'performance' });
    await admin.partners.suspend.mutate({ partnerId: trained.id, reasonCode: 'compliance', note: 'W-9 expired' });
    await expect(admin.partners.reactivate.mutate({ partnerId: trained.id, reasonCode: 'other', note: 'x' })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
    });
    await admin.partners.terminate.mutate({ partnerId: trained.id, reasonCode: 'partner_request', note: 'leaving' });

    const events = async (id: string) =>
      (
        await db.execute<{ event_type: string; data: Record<string, unknown> }>(
          sql`select event_type, (body::jsonb)->'data' as data from webhook_deliveries where (body::jsonb)->'data'->>'partnerId' = ${id} order by created_at, event_type`,
        )
      ).rows;
    expect((await events(partnerId)).map((event) => event.event_type)).toEqual(['partner.applied']);
    const trainedEvents = await events(trained.id);
    expect(trainedEvents.map((event) => event.event_type)).toEqual(['partner.activated', 'partner.tier_changed', 'partner.suspended', 'partner.terminated']);
    expect(trainedEvents[2]!.data).toMatchObject({ fromStatus: 'active', toStatus: 'suspended', reasonCode: 'compliance' });
    expect(JSON.stringify(trainedEvents)).not.toContain('W-9 expired');

    const notices = async (id: string) =>
      (await db.execute<{ kind: string; channel: string }>(sql`select kind, channel from notifications where partner_id = ${id} order by created_at, kind, channel`)).rows;
    expect(await notices(partnerId)).toEqual([
      { kind: 'application_received', channel: 'dashboard' },
      { kind: 'application_received', channel: 'email' },
    ]);
    expect([...new Set((await notices(trained.id)).map((notice) => notice.kind))]).toEqual([
      'partner_activated',
      'tier_changed',
      'partner_suspended',
      'partner_terminated',
    ]);
  });
});

describe('partners.apply', () => {
  it('refuses a second application with the same email in any letter case', async () => {
    const first = application();
    await admin.partners.submitApplication.mutate(first);
    await expect(admin.partners.submitApplication.mutate(application({ email: first.email.toUpperCase() }))).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('already exists'),
    });
  });

  it('accepts exactly one of 10 parallel applications with the same email', async () => {
    const same = application();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => admin.partners.submitApplication.mutate(same)));
    const codes = results.map((result) => (result.status === 'fulfilled' ? 'OK' : (result.reason as { data?: { code?: string } }).data?.code));
    expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
    expect(codes.filter((code) => code === 'CONFLICT')).toHaveLength(9);
  });

  it('makes the owner of a referral code the parent and places the partner in the tree', async () => {
    const recruiter = await createPartner(db, { status: 'active' });
    const recruited = await admin.partners.submitApplication.mutate(application({ referralCode: recruiter.referralCode.toLowerCase() }));
    expect(recruited.parentId).toBe(recruiter.id);
    const links = await db
      .select({ ancestorId: partnerTree.ancestorId, depth: partnerTree.depth })
      .from(partnerTree)
      .where(eq(partnerTree.descendantId, recruited.id))
      .orderBy(asc(partnerTree.depth));
    expect(links).toEqual([
      { ancestorId: recruited.id, depth: 0 },
      { ancestorId: recruiter.id, depth: 1 },
    ]);
  });

  it('refuses an unknown referral code, a terminated recruiter and bad fields, creating nothing', async () => {
    const terminated = await createPartner(db, { status: 'terminated' });
    const before = await db.select({ n: count() }).from(partners);
    await expect(admin.partners.submitApplication.mutate(application({ referralCode: 'NOSUCHCODE' }))).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.partners.submitApplication.mutate(application({ referralCode: terminated.referralCode }))).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('terminated'),
    });
    await expect(admin.partners.submitApplication.mutate(application({ country: 'Britain' }))).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', fieldErrors: { country: [expect.stringContaining('ISO 3166-1')] } },
    });
    await expect(admin.partners.submitApplication.mutate(application({ promotionalMethods: [] }))).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', fieldErrors: { promotionalMethods: expect.any(Array) } },
    });
    expect(await db.select({ n: count() }).from(partners)).toEqual(before);
  });

  it("refuses a referral code whose owner is at its program's maximum depth, and accepts one a level higher", async () => {
    const programId = await insertProgram(db, { maxHierarchyDepth: 2 });
    const [root, middle, deepest] = await insertTree(db, [null, 0, 1], { programId });
    const before = await db.select({ n: count() }).from(partners);
    await expect(admin.partners.submitApplication.mutate(application({ referralCode: await referralCodeOf(deepest!) }))).rejects.toMatchObject({
      data: { code: 'CONFLICT', httpStatus: 409, details: { maxHierarchyDepth: 2, resultingDepth: 3, programId, parentId: deepest, field: 'referralCode' } },
      message: expect.stringContaining(`at depth 3; at most 2 levels are allowed above a partner (rules.maxHierarchyDepth = 2, program ${programId})`),
    });
    expect(await db.select({ n: count() }).from(partners)).toEqual(before);

    const recruited = await admin.partners.submitApplication.mutate(application({ referralCode: await referralCodeOf(middle!) }));
    expect(recruited.parentId).toBe(middle);
    expect((await admin.partners.upline.query({ partnerId: recruited.id })).items.map((member) => [member.level, member.id])).toEqual([
      [1, middle],
      [2, root],
    ]);
  });

  it('holds a recruiter without a program to the configuration default', async () => {
    const chain = await insertTree(db, Array.from({ length: DEFAULT_MAX_HIERARCHY_DEPTH + 1 }, (_, index) => (index === 0 ? null : index - 1)));
    await expect(admin.partners.submitApplication.mutate(application({ referralCode: await referralCodeOf(chain.at(-1)!) }))).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { maxHierarchyDepth: DEFAULT_MAX_HIERARCHY_DEPTH, programId: null } },
      message: expect.stringContaining('the default for a partner without a program'),
    });
    await expect(admin.partners.submitApplication.mutate(application({ referralCode: await referralCodeOf(chain.at(-2)!) }))).resolves.toMatchObject({
      parentId: chain.at(-2),
    });
  });

  it('gives every partner its own referral code', async () => {
    const created = await Promise.all(Array.from({ length: 20 }, () => admin.partners.submitApplication.mutate(application())));
    expect(new Set(created.map((partner) => partner.referralCode)).size).toBe(20);
  });
});

/**
 * The whole status machine, written out: which actions each status allows. Every other pair must be refused with
 * CONFLICT naming the current and the requested status.
 */
const ALLOWED: Record<PartnerStatus, string[]> = {
  applied: ['verify', 'reject', 'terminate'],
  verified: ['enroll', 'terminate'],
  enrolled: ['completeSetup', 'terminate'],
  setup_complete: ['completeTraining', 'terminate'],
  trained: ['activate', 'terminate'],
  active: ['suspend', 'terminate'],
  suspended: ['reactivate', 'terminate'],
  rejected: [],
  terminated: [],
};
const TARGET: Record<string, PartnerStatus> = {
  verify: 'verified',
  reject: 'rejected',
  enroll: 'enrolled',
  completeSetup: 'setup_complete',
  completeTraining: 'trained',
  activate: 'active',
  suspend: 'suspended',
  reactivate: 'active',
  terminate: 'terminated',
};

function perform(action: string, partnerId: string) {
  const reason = { partnerId, reasonCode: 'other' as const, note: 'table test' };
  switch (action) {
    case 'verify':
      return admin.partners.verify.mutate({ partnerId, decision: 'approve' });
    case 'reject':
      return admin.partners.verify.mutate({ partnerId, decision: 'reject', reasonCode: 'other', note: 'table test' });
    case 'enroll':
      return admin.partners.enroll.mutate({ partnerId, programId: program.id });
    case 'completeSetup':
      return admin.partners.completeSetup.mutate({ partnerId, ...samplePayout });
    case 'completeTraining':
      return admin.partners.completeTraining.mutate({ partnerId });
    case 'activate':
      return admin.partners.activate.mutate({ partnerId });
    case 'suspend':
      return admin.partners.suspend.mutate(reason);
    case 'reactivate':
      return admin.partners.reactivate.mutate(reason);
    case 'terminate':
      return admin.partners.terminate.mutate(reason);
    default:
      throw new Error(`unknown action ${action}`);
  }
}

describe('the status machine', () => {
  const cases = (Object.keys(ALLOWED) as PartnerStatus[]).flatMap((status) =>
    Object.keys(TARGET).map((action) => ({ status, action, allowed: ALLOWED[status].includes(action) })),
  );

  it.each(cases)('$status + $action → allowed: $allowed', async ({ status, action, allowed }) => {
    const partner = await createPartner(db, { status, program });
    const call = perform(action, partner.id);
    if (allowed) {
      await expect(call).resolves.toMatchObject({ fromStatus: status, toStatus: TARGET[action] });
      expect(await statusOf(partner.id)).toBe(TARGET[action]);
    } else {
      await expect(call).rejects.toMatchObject({
        data: { code: 'CONFLICT', details: { current: status, requested: TARGET[action] } },
        message: `Partner is ${status}; it cannot become ${TARGET[action]}`,
      });
      expect(await statusOf(partner.id)).toBe(status);
    }
  });
});

describe('prerequisites', () => {
  const refused = (call: Promise<unknown>, ...messages: string[]) =>
    expect(call).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringMatching(new RegExp(messages.join('.*'))),
    });

  it('enrolls only with the current agreement accepted, into an active program, at one of its tiers', async () => {
    const partner = await createPartner(db, { status: 'verified', without: ['agreement'] });
    await refused(admin.partners.enroll.mutate({ partnerId: partner.id, programId: program.id }), 'current agreement \\(version \\d+\\) has not been accepted');

    const archived = await createTestProgram(db, { archived: true });
    await acceptCurrentAgreement(db, partner.id);
    await refused(admin.partners.enroll.mutate({ partnerId: partner.id, programId: archived.id }), `program ${archived.id} is archived`);
    await expect(admin.partners.enroll.mutate({ partnerId: partner.id, programId: program.id, tier: 'platinum' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('tier: platinum is not a tier'),
    });
    await expect(admin.partners.enroll.mutate({ partnerId: partner.id, programId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(admin.partners.enroll.mutate({ partnerId: partner.id, programId: program.id, tier: 'gold' })).resolves.toMatchObject({ toStatus: 'enrolled' });
    expect((await admin.partners.get.query({ partnerId: partner.id })).tier).toBe('gold');
  });

  it('counts an acceptance again only once a version requiring re-acceptance is published', async () => {
    const partner = await createPartner(db, { status: 'verified' });
    await publishAgreementVersion(db, { requiresReacceptance: false });
    const other = await createPartner(db, { status: 'verified' });
    await expect(admin.partners.enroll.mutate({ partnerId: partner.id, programId: program.id })).resolves.toMatchObject({ toStatus: 'enrolled' });
    await publishAgreementVersion(db, { requiresReacceptance: true });
    await refused(admin.partners.enroll.mutate({ partnerId: other.id, programId: program.id }), 'has not been accepted');
    await acceptCurrentAgreement(db, other.id);
    await expect(admin.partners.enroll.mutate({ partnerId: other.id, programId: program.id })).resolves.toMatchObject({ toStatus: 'enrolled' });
  });

  it('activates only with every required document approved and unexpired, payout details and training', async () => {
    const strict = await createTestProgram(db, { requiredDocuments: ['w9', 'identity'] });
    const spec: PartnerSpec = { status: 'trained', program: strict, without: ['documents'] };
    const partner = await createPartner(db, spec);
    await insertDocument(db, partner.id, 'w9', { status: 'approved', expiresOn: '2020-01-31' });
    await insertDocument(db, partner.id, 'identity', { status: 'pending' });
    await refused(
      admin.partners.activate.mutate({ partnerId: partner.id }),
      'required document w9 expired on 2020-01-31',
      'required document identity is awaiting review',
    );
    const onboarding = await admin.partners.onboarding.query({ partnerId: partner.id });
    expect(onboarding.nextAction).toBe('activate');
    expect(onboarding.steps.filter((step) => step.state === 'blocking')).toEqual([
      { step: 'document:w9', state: 'blocking', detail: 'required document w9 expired on 2020-01-31' },
      { step: 'document:identity', state: 'blocking', detail: 'required document identity is awaiting review' },
    ]);

    await insertDocument(db, partner.id, 'w9');
    await insertDocument(db, partner.id, 'identity', { expiresOn: '2999-12-31' });
    await expect(admin.partners.activate.mutate({ partnerId: partner.id })).resolves.toMatchObject({ toStatus: 'active' });

    const noPayout = await createPartner(db, { status: 'trained', program: strict, without: ['payout', 'documents'] });
    await refused(
      admin.partners.activate.mutate({ partnerId: noPayout.id }),
      'required document w9 is missing',
      'required document identity is missing',
      'payout details are missing',
    );
  });

  it('refuses reactivation while a compliance hold from the suspension is open, and allows it once released', async () => {
    const partner = await createPartner(db, { status: 'active', program });
    await complianceOfficer.partners.suspend.mutate({ partnerId: partner.id, reasonCode: 'compliance', note: 'W-9 mismatch' });
    const holds = await db
      .select({ id: partnerHolds.id, kind: partnerHolds.kind, source: partnerHolds.source, reason: partnerHolds.reason })
      .from(partnerHolds)
      .where(and(eq(partnerHolds.partnerId, partner.id), isNull(partnerHolds.releasedAt)));
    expect(holds).toEqual([{ id: expect.any(String), kind: 'compliance', source: 'suspension', reason: 'W-9 mismatch' }]);

    await refused(
      admin.partners.reactivate.mutate({ partnerId: partner.id, reasonCode: 'compliance', note: 'fixed' }),
      'open compliance hold \\(W-9 mismatch\\) must first be released',
    );
    const onboarding = await admin.partners.onboarding.query({ partnerId: partner.id });
    expect(onboarding.steps.at(-1)).toMatchObject({ step: 'holds', state: 'blocking' });

    await db.update(partnerHolds).set({ releasedAt: new Date(), releasedBy: 'compliance' }).where(eq(partnerHolds.id, holds[0]!.id));
    await expect(admin.partners.reactivate.mutate({ partnerId: partner.id, reasonCode: 'compliance', note: 'fixed' })).resolves.toMatchObject({
      toStatus: 'active',
    });
  });

  it('opens no hold for a suspension over performance', async () => {
    const partner = await createPartner(db, { status: 'active', program });
    await admin.partners.suspend.mutate({ partnerId: partner.id, reasonCode: 'performance', note: 'quiet' });
    expect(await db.select({ n: count() }).from(partnerHolds).where(eq(partnerHolds.partnerId, partner.id))).toEqual([{ n: 0 }]);
  });
});

describe('concurrency', () => {
  it('lets exactly one of 50 parallel suspensions through; the other 49 get CONFLICT', async () => {
    const partner = await createPartner(db, { status: 'active', program });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        admin.partners.suspend.mutate({ partnerId: partner.id, reasonCode: 'fraud', note: `attempt ${index}` }),
      ),
    );
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const conflicts = results.filter(
      (result) => result.status === 'rejected' && (result.reason as { data?: { code?: string } }).data?.code === 'CONFLICT',
    );
    expect([fulfilled.length, conflicts.length]).toEqual([1, 49]);
    const suspensions = await db
      .select({ n: count() })
      .from(partnerStatusHistory)
      .where(and(eq(partnerStatusHistory.partnerId, partner.id), eq(partnerStatusHistory.toStatus, 'suspended')));
    expect(suspensions).toEqual([{ n: 1 }]);
    expect(await db.select({ n: count() }).from(partnerHolds).where(eq(partnerHolds.partnerId, partner.id))).toEqual([{ n: 1 }]);
  });
});

describe('refused calls', () => {
  /** Everything a lifecycle call may write, for one partner. */
  async function snapshot(partnerId: string) {
    const tables = await db.execute(sql`
      select
        (select row_to_json(p) from partners p where p.id = ${partnerId}) as partner,
        (select count(*) from partner_status_history where partner_id = ${partnerId}) as history,
        (select count(*) from enrollments where partner_id = ${partnerId}) as enrollments,
        (select count(*) from partner_payout_details where partner_id = ${partnerId}) as payout,
        (select count(*) from partner_holds where partner_id = ${partnerId}) as holds,
        (select count(*) from partner_tier_history where partner_id = ${partnerId}) as tiers,
        (select count(*) from activity where entity_type = 'partner' and entity_id = ${partnerId}) as audit,
        (select count(*) from notifications where partner_id = ${partnerId}) as notices,
        (select count(*) from webhook_deliveries where (body::jsonb)->'data'->>'partnerId' = ${partnerId}) as events`);
    return tables.rows[0];
  }

  it('leave the database unchanged: illegal transition, missing prerequisite, forbidden caller, bad input', async () => {
    const otherManager = await server.client(['partner_manager'], { sub: await createStaffUser(db) });
    const trained = await createPartner(db, { status: 'trained', program, without: ['documents'], managerId });
    const before = await snapshot(trained.id);
    const attempts = [
      admin.partners.suspend.mutate({ partnerId: trained.id, reasonCode: 'fraud', note: 'x' }),
      admin.partners.activate.mutate({ partnerId: trained.id }),
      otherManager.partners.activate.mutate({ partnerId: trained.id }),
      complianceOfficer.partners.suspend.mutate({ partnerId: trained.id, reasonCode: 'fraud', note: 'x' }),
      admin.partners.completeSetup.mutate({ partnerId: trained.id, ...samplePayout }),
      admin.partners.changeTier.mutate({ partnerId: trained.id, tier: 'diamond', reasonCode: 'performance' }),
      admin.partners.update.mutate({ partnerId: trained.id, email: 'not-an-email' }),
    ];
    const codes = await Promise.all(attempts.map((attempt) => attempt.then(() => 'OK', (error: { data?: { code?: string } }) => error.data?.code)));
    expect(codes).toEqual(['CONFLICT', 'PRECONDITION_FAILED', 'FORBIDDEN', 'FORBIDDEN', 'CONFLICT', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(await snapshot(trained.id)).toEqual(before);
  });

  it('answer a partner that does not exist with NOT_FOUND and a malformed id with BAD_REQUEST', async () => {
    await expect(admin.partners.activate.mutate({ partnerId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.partners.get.query({ partnerId: 'partner-1' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', fieldErrors: { partnerId: expect.any(Array) } },
    });
  });
});

describe('partners.update', () => {
  it('changes profile fields, and refuses an email another partner has and an empty change', async () => {
    const [one, two] = [await createPartner(db, { status: 'active', program }), await createPartner(db, { status: 'applied' })];
    await expect(admin.partners.update.mutate({ partnerId: one.id, website: 'https://new.example.com', promotionalMethods: ['video'] })).resolves.toMatchObject({
      website: 'https://new.example.com',
      promotionalMethods: ['video'],
    });
    await expect(admin.partners.update.mutate({ partnerId: one.id, email: two.email.toUpperCase() })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('already exists'),
    });
    await expect(admin.partners.update.mutate({ partnerId: one.id })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('give at least one field to change'),
    });
  });
});

describe('partners.changeTier', () => {
  it('moves an enrolled partner to another tier of its program, with history and audit', async () => {
    const partner = await createPartner(db, { status: 'active', program });
    await expect(programManager.partners.changeTier.mutate({ partnerId: partner.id, tier: 'gold', reasonCode: 'performance', note: 'top seller' })).resolves.toMatchObject({
      fromTier: 'silver',
      toTier: 'gold',
    });
    const [enrollment] = await db.select({ tier: enrollments.tier }).from(enrollments).where(eq(enrollments.partnerId, partner.id));
    expect(enrollment!.tier).toBe('gold');
    const audit = await db
      .select({ before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.entityId, partner.id), eq(activity.action, 'partner.changeTier')));
    expect(audit).toEqual([
      { before: expect.objectContaining({ tier: 'silver' }), after: expect.objectContaining({ tier: 'gold', reasonCode: 'performance', note: 'top seller' }) },
    ]);
    await expect(programManager.partners.changeTier.mutate({ partnerId: partner.id, tier: 'gold', reasonCode: 'performance' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Partner is already in tier gold',
    });
  });

  /**
   * Rows updated, and of them HOT, per table by `statement` (counters of this backend's statistics not yet
   * reported, so read before and after, in one transaction that is rolled back).
   */
  async function updatesBy(tables: string[], statement: string, params: unknown[]) {
    const client = await database.pool.connect();
    const counters = async () =>
      (
        await client.query<{ table: string; updated: number; hot: number }>(
          `select relname as table, n_tup_upd::int as updated, n_tup_hot_upd::int as hot from pg_stat_xact_user_tables
           where relname = any($1) order by relname`,
          [tables],
        )
      ).rows;
    try {
      await client.query('begin');
      const before = await counters();
      await client.query(statement, params);
      const after = await counters();
      return after.map((row) => {
        const was = before.find((earlier) => earlier.table === row.table);
        return { table: row.table, updated: row.updated - (was?.updated ?? 0), hot: row.hot - (was?.hot ?? 0) };
      });
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  it("rewrites the open enrollment's tier in place: no index holds it, so the update is HOT", async () => {
    const partner = await createPartner(db, { status: 'active', program });
    const sql = `update enrollments set tier = 'gold' where partner_id = $1 and ended_at is null`;
    expect(await updatesBy(['enrollments'], sql, [partner.id])).toEqual([{ table: 'enrollments', updated: 1, hot: 1 }]);
  });

  it('moves a partner between tiers in place: no partner index holds the tier, so the update is HOT', async () => {
    const partner = await createPartner(db, { status: 'active', program });
    const sql = `update partners set tier = 'gold', updated_at = now() where id = $1`;
    // partner_tiers, which carries the tier filter's index, follows by its trigger.
    expect(await updatesBy(['partners', 'partner_tiers'], sql, [partner.id])).toEqual([
      { table: 'partner_tiers', updated: 1, hot: 0 },
      { table: 'partners', updated: 1, hot: 1 },
    ]);
  });

  it('needs an enrollment and a live partner', async () => {
    const applied = await createPartner(db, { status: 'applied' });
    await expect(admin.partners.changeTier.mutate({ partnerId: applied.id, tier: 'gold', reasonCode: 'other' })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringContaining('not enrolled in a program'),
    });
    const terminated = await createPartner(db, { status: 'terminated' });
    await expect(admin.partners.changeTier.mutate({ partnerId: terminated.id, tier: 'gold', reasonCode: 'other' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Partner is terminated; its tier cannot change',
    });
  });
});

describe('partners.onboarding', () => {
  it('shows each step done, pending or blocking, and why', async () => {
    const partner = await createPartner(db, { status: 'verified', without: ['agreement'] });
    const checklist = await admin.partners.onboarding.query({ partnerId: partner.id });
    expect(checklist).toMatchObject({ status: 'verified', nextAction: 'enroll' });
    expect(checklist.steps).toEqual([
      { step: 'verification', state: 'done', detail: null },
      { step: 'agreement', state: 'blocking', detail: expect.stringMatching(/current agreement \(version \d+\) has not been accepted/) },
      { step: 'enrollment', state: 'pending', detail: 'the partner is not enrolled in a program yet' },
      { step: 'payout', state: 'pending', detail: expect.any(String) },
      { step: 'training', state: 'pending', detail: expect.any(String) },
      { step: 'documents', state: 'pending', detail: expect.stringContaining('once the partner is enrolled') },
      { step: 'activation', state: 'pending', detail: expect.any(String) },
    ]);
  });

  it('reports a required document as pending before training and every step done once active', async () => {
    const enrolled = await createPartner(db, { status: 'enrolled', program });
    const steps = (await admin.partners.onboarding.query({ partnerId: enrolled.id })).steps;
    expect(steps.find((step) => step.step === 'document:w9')).toEqual({ step: 'document:w9', state: 'pending', detail: 'required document w9 is missing' });
    const active = await createPartner(db, { status: 'active', program });
    const checklist = await admin.partners.onboarding.query({ partnerId: active.id });
    expect(checklist.nextAction).toBeNull();
    expect(checklist.steps.every((step) => step.state === 'done')).toBe(true);
  });
});
