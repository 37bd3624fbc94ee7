import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createPartner, createProgram, createStaffUser } from './helpers/communications-factory.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
const manager = await createStaffUser(db, ['partner_manager']);
const programA = await createProgram(db, { tiers: ['Silver', 'Gold'], inactivityDays: 30 });
const programB = await createProgram(db, { tiers: ['Bronze', 'Silver', 'Platinum'] });
// This file's database holds exactly these partners.
const partners = {
  topOfA: await createPartner(db, { programId: programA.id, tier: 'Gold', managerId: manager.id }),
  idleInA: await createPartner(db, { programId: programA.id, tier: 'Silver', managerId: manager.id, lastActivityAt: daysAgo(40) }),
  busyInA: await createPartner(db, { programId: programA.id, tier: 'Silver' }),
  topIdleInB: await createPartner(db, { programId: programB.id, tier: 'Platinum', lastActivityAt: daysAgo(100) }),
  suspendedInB: await createPartner(db, { programId: programB.id, tier: 'Silver', status: 'suspended', managerId: manager.id, lastActivityAt: daysAgo(100) }),
  applicant: await createPartner(db, { status: 'applied', managerId: manager.id }),
  terminated: await createPartner(db, { programId: programA.id, tier: 'Gold', status: 'terminated', managerId: manager.id }),
  erased: await createPartner(db, { programId: programA.id, tier: 'Gold', erased: true }),
};
type Name = keyof typeof partners;
const nameOf = new Map(Object.entries(partners).map(([name, partner]) => [partner.id, name as Name]));

const admin = await server.client(['affiliate_admin']);
const programManager = await server.client(['program_manager']);
const partnerManager = await server.client(['partner_manager'], { sub: manager.id });

async function recipientsOf(campaignId: string) {
  const result = await db.execute<{ partner_id: string; channel: string }>(
    sql`select partner_id, channel from notifications where dedupe_key like ${`%:campaign:${campaignId}:%`}`,
  );
  return {
    partners: [...new Set(result.rows.map((row) => nameOf.get(row.partner_id)))].sort(),
    rows: result.rows.map((row) => `${nameOf.get(row.partner_id)}:${row.channel}`).sort(),
  };
}

const free = { type: 'free', subject: 'Summer update', body: 'New creatives are live.' } as const;

describe('communications.notifyPartners', () => {
  it('notifies every current partner once per channel, and says how many', async () => {
    const result = await admin.communications.notifyPartners.mutate({ targetGroup: { type: 'all' }, message: free });
    expect(result).toMatchObject({ kind: 'custom_message', partners: 6, notifications: 12 });
    expect((await recipientsOf(result.campaignId)).partners).toEqual(['applicant', 'busyInA', 'idleInA', 'suspendedInB', 'topIdleInB', 'topOfA']);
    const audit = await db.execute<{ action: string; after: { partners: number; notifications: number } }>(
      sql`select action, after from activity where entity_id = ${result.campaignId}`,
    );
    expect(audit.rows).toEqual([{ action: 'communication.notify', after: expect.objectContaining({ partners: 6, notifications: 12 }) }]);
  });

  it('narrows a partner manager to the partners they manage', async () => {
    const everyone = await partnerManager.communications.notifyPartners.mutate({ targetGroup: { type: 'all' }, message: free, channels: ['dashboard'] });
    expect(everyone).toMatchObject({ partners: 4, notifications: 4 });
    expect((await recipientsOf(everyone.campaignId)).rows).toEqual([
      'applicant:dashboard',
      'idleInA:dashboard',
      'suspendedInB:dashboard',
      'topOfA:dashboard',
    ]);

    const listed = await partnerManager.communications.notifyPartners.mutate({
      targetGroup: { type: 'partners', partnerIds: [partners.idleInA.id, partners.terminated.id, partners.busyInA.id, randomUUID()] },
      message: free,
    });
    expect(listed).toMatchObject({ partners: 1, notifications: 2 });
    expect((await recipientsOf(listed.campaignId)).partners).toEqual(['idleInA']);
  });

  it('targets high performers (top tier of their program) and partners at risk (inactive beyond their program’s days)', async () => {
    const top = await programManager.communications.notifyPartners.mutate({ targetGroup: { type: 'high_performers' }, message: free });
    expect((await recipientsOf(top.campaignId)).partners).toEqual(['topIdleInB', 'topOfA']);
    const topOfA = await programManager.communications.notifyPartners.mutate({ targetGroup: { type: 'high_performers', programId: programA.id }, message: free });
    expect((await recipientsOf(topOfA.campaignId)).partners).toEqual(['topOfA']);
    // Program A counts 30 idle days as at risk; program B keeps the default of 60.
    const atRisk = await programManager.communications.notifyPartners.mutate({ targetGroup: { type: 'at_risk' }, message: free });
    expect(atRisk.partners).toBe(2);
    expect((await recipientsOf(atRisk.campaignId)).partners).toEqual(['idleInA', 'topIdleInB']);
  });

  it('targets a tier of a program and a whole program', async () => {
    const tier = await admin.communications.notifyPartners.mutate({ targetGroup: { type: 'tier', programId: programA.id, tier: 'Silver' }, message: free });
    expect((await recipientsOf(tier.campaignId)).partners).toEqual(['busyInA', 'idleInA']);
    const program = await admin.communications.notifyPartners.mutate({ targetGroup: { type: 'program', programId: programB.id }, message: free });
    expect((await recipientsOf(program.campaignId)).partners).toEqual(['suspendedInB', 'topIdleInB']);
  });

  it('leaves out channels a partner opted out of, and counts only what was written', async () => {
    await admin.notifications.setPreferences.mutate({
      partnerId: partners.busyInA.id,
      preferences: [{ kind: 'custom_message', channel: 'email', enabled: false }],
    });
    const result = await admin.communications.notifyPartners.mutate({ targetGroup: { type: 'program', programId: programA.id }, message: free });
    expect(result).toMatchObject({ partners: 3, notifications: 5 });
    expect((await recipientsOf(result.campaignId)).rows).toContain('busyInA:dashboard');
    expect((await recipientsOf(result.campaignId)).rows).not.toContain('busyInA:email');
  });

  it('sends a broadcast template with its variables, naming what is wrong otherwise', async () => {
    const result = await admin.communications.notifyPartners.mutate({
      targetGroup: { type: 'program', programId: programB.id },
      message: { type: 'template', kind: 're_engagement', variables: { programName: 'Program B', offer: 'Double commissions in July.' } },
      channels: ['dashboard'],
    });
    expect(result).toMatchObject({ kind: 're_engagement', partners: 2, notifications: 2 });
    const summaries = await db.execute<{ summary: string }>(sql`select distinct summary from notifications where dedupe_key like ${`%:campaign:${result.campaignId}:%`}`);
    expect(summaries.rows).toEqual([{ summary: 'It has been a while since your last referral. Double commissions in July.' }]);

    await expect(
      admin.communications.notifyPartners.mutate({
        targetGroup: { type: 'all' },
        message: { type: 'template', kind: 're_engagement', variables: { offer: 'x' } },
      }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringContaining('message.variables.programName') });
    await expect(
      admin.communications.notifyPartners.mutate({
        targetGroup: { type: 'all' },
        message: { type: 'template', kind: 'tier_changed', variables: {} },
      }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringContaining('message.kind') });
    await expect(
      admin.communications.notifyPartners.mutate({ targetGroup: { type: 'partners', partnerIds: ['not-a-uuid'] }, message: free }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringContaining('targetGroup.partnerIds.0') });
  });

  it('notifies nobody twice when a request is repeated with its idempotency key', async () => {
    const request = { targetGroup: { type: 'program', programId: programA.id }, message: free, idempotencyKey: `retry-${randomUUID()}` } as const;
    const first = await admin.communications.notifyPartners.mutate(request);
    const second = await admin.communications.notifyPartners.mutate(request);
    expect(first.notifications).toBe(5);
    expect(second).toMatchObject({ partners: 3, notifications: 0 });
  });

  it('is refused to a compliance officer', async () => {
    const complianceOfficer = await server.client(['compliance_officer']);
    await expect(complianceOfficer.communications.notifyPartners.mutate({ targetGroup: { type: 'all' }, message: free })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
  });
});
