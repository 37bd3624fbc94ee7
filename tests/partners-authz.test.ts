import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { partners, type PartnerStatus } from '../db/schema/partners.js';
import { createTestDatabase } from './helpers/db.js';
import { createPartner, createStaffUser, createTestProgram, samplePayout } from './helpers/factories/partners.js';
import { startTestServer } from './helpers/server.js';

/**
 * Each role rule of the partners area from both sides: the call a role may make succeeds, the one it may not make
 * is FORBIDDEN (and changes nothing). The role-level matrix is in tests/authz; this file covers the rules that
 * depend on the partner row (its manager) or on the request (the suspension reason).
 */
const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const managerId = await createStaffUser(db, ['partner_manager']);
const otherManagerId = await createStaffUser(db, ['partner_manager']);
const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager'], { sub: managerId });
const programManager = await server.client(['program_manager']);
const complianceOfficer = await server.client(['compliance_officer']);
const program = await createTestProgram(db);

const forbidden = (call: Promise<unknown>, message?: RegExp) =>
  expect(call).rejects.toMatchObject({ data: { code: 'FORBIDDEN', httpStatus: 403 }, ...(message ? { message: expect.stringMatching(message) } : {}) });
const statusOf = async (id: string) => (await db.select({ status: partners.status }).from(partners).where(eq(partners.id, id)))[0]!.status;

/** A partner of ours and one of another manager, at the same status. */
const pair = async (status: PartnerStatus) => ({
  mine: await createPartner(db, { status, program, managerId }),
  theirs: await createPartner(db, { status, program, managerId: otherManagerId }),
});

describe('Partner Manager: changes only the partners they manage', () => {
  it('updates the profile of their own partner, not of another manager’s', async () => {
    const { mine, theirs } = await pair('active');
    await expect(manager.partners.update.mutate({ partnerId: mine.id, company: 'Renamed Ltd' })).resolves.toMatchObject({ company: 'Renamed Ltd' });
    await forbidden(manager.partners.update.mutate({ partnerId: theirs.id, company: 'Renamed Ltd' }), /only partners you manage/);
  });

  it('runs the onboarding steps of their own partners only', async () => {
    const applied = await pair('applied');
    await expect(manager.partners.verify.mutate({ partnerId: applied.mine.id, decision: 'approve' })).resolves.toMatchObject({ toStatus: 'verified' });
    await forbidden(manager.partners.verify.mutate({ partnerId: applied.theirs.id, decision: 'approve' }));

    const enrolled = await pair('enrolled');
    await expect(manager.partners.completeSetup.mutate({ partnerId: enrolled.mine.id, ...samplePayout })).resolves.toMatchObject({ toStatus: 'setup_complete' });
    await forbidden(manager.partners.completeSetup.mutate({ partnerId: enrolled.theirs.id, ...samplePayout }));

    const setUp = await pair('setup_complete');
    await expect(manager.partners.completeTraining.mutate({ partnerId: setUp.mine.id })).resolves.toMatchObject({ toStatus: 'trained' });
    await forbidden(manager.partners.completeTraining.mutate({ partnerId: setUp.theirs.id }));

    const trained = await pair('trained');
    await expect(manager.partners.activate.mutate({ partnerId: trained.mine.id })).resolves.toMatchObject({ toStatus: 'active' });
    await forbidden(manager.partners.activate.mutate({ partnerId: trained.theirs.id }));
    expect(await statusOf(trained.theirs.id)).toBe('trained');
  });

  it('suspends and reactivates their own partners only', async () => {
    const { mine, theirs } = await pair('active');
    const reason = { reasonCode: 'performance' as const, note: 'quiet' };
    await expect(manager.partners.suspend.mutate({ partnerId: mine.id, ...reason })).resolves.toMatchObject({ toStatus: 'suspended' });
    await forbidden(manager.partners.suspend.mutate({ partnerId: theirs.id, ...reason }));
    await expect(manager.partners.reactivate.mutate({ partnerId: mine.id, ...reason })).resolves.toMatchObject({ toStatus: 'active' });
    const suspended = await createPartner(db, { status: 'suspended', program, managerId: otherManagerId });
    await forbidden(manager.partners.reactivate.mutate({ partnerId: suspended.id, ...reason }));
  });

  it('manages the contacts of their own partners only', async () => {
    const { mine, theirs } = await pair('active');
    const contact = await manager.partners.addContact.mutate({ partnerId: mine.id, role: 'billing', name: 'Bill Ing', email: 'bill@example.com' });
    await expect(manager.partners.updateContact.mutate({ contactId: contact.id, phone: '+1 555 0199' })).resolves.toMatchObject({ phone: '+1 555 0199' });
    await forbidden(manager.partners.addContact.mutate({ partnerId: theirs.id, role: 'billing', name: 'Bill Ing' }));
    const theirContact = await admin.partners.addContact.mutate({ partnerId: theirs.id, role: 'technical', name: 'Tech Person' });
    await forbidden(manager.partners.updateContact.mutate({ contactId: theirContact.id, name: 'Changed' }));
    await forbidden(manager.partners.removeContact.mutate({ contactId: theirContact.id }));
    await expect(manager.partners.removeContact.mutate({ contactId: contact.id })).resolves.toEqual({ contactId: contact.id, removed: true });
  });

  it('reads every partner and its contacts, but PII only of their own', async () => {
    const { mine, theirs } = await pair('active');
    await admin.partners.addContact.mutate({ partnerId: theirs.id, role: 'primary', name: 'Hidden Person', email: 'hidden@example.com' });
    expect(await manager.partners.get.query({ partnerId: mine.id })).toMatchObject({ name: mine.name, email: mine.email, piiVisible: true });
    expect(await manager.partners.get.query({ partnerId: theirs.id })).toMatchObject({ name: null, email: null, phone: null, piiVisible: false });
    expect(await manager.partners.contacts.query({ partnerId: theirs.id })).toEqual([
      expect.objectContaining({ role: 'primary', name: null, email: null, phone: null, address: null, piiVisible: false }),
    ]);
  });

  it('files applications only for partners they will manage themselves, and needs a staff record for it', async () => {
    const created = await manager.partners.submitApplication.mutate({
      name: 'Pam Partner',
      email: `pam.${Date.now()}@example.com`,
      country: 'US',
      promotionalMethods: ['coupons'],
    });
    expect(created.managerId).toBe(managerId);
    const stranger = await server.client(['partner_manager']);
    await expect(
      stranger.partners.submitApplication.mutate({ name: 'Nobody', email: `nobody.${Date.now()}@example.com`, country: 'US', promotionalMethods: ['blog'] }),
    ).rejects.toMatchObject({ data: { code: 'PRECONDITION_FAILED' }, message: expect.stringContaining('not an active staff user') });
  });

  it('may not enroll, change tiers, terminate, export or erase', async () => {
    const { mine } = await pair('active');
    const verified = await createPartner(db, { status: 'verified', managerId });
    await forbidden(manager.partners.enroll.mutate({ partnerId: verified.id, programId: program.id }));
    await forbidden(manager.partners.changeTier.mutate({ partnerId: mine.id, tier: 'gold', reasonCode: 'performance' }));
    await forbidden(manager.partners.terminate.mutate({ partnerId: mine.id, reasonCode: 'other', note: 'x' }));
    await forbidden(manager.partners.exportData.mutate({ partnerId: mine.id }));
    await forbidden(manager.partners.erase.mutate({ partnerId: mine.id }));
  });
});

describe('Program Manager: enrolls and reads without PII', () => {
  it('enrolls a verified partner and changes tiers', async () => {
    const verified = await createPartner(db, { status: 'verified' });
    await expect(programManager.partners.enroll.mutate({ partnerId: verified.id, programId: program.id })).resolves.toMatchObject({ toStatus: 'enrolled' });
    await expect(programManager.partners.changeTier.mutate({ partnerId: verified.id, tier: 'gold', reasonCode: 'performance' })).resolves.toMatchObject({
      toTier: 'gold',
    });
  });

  it('reads partners with PII hidden, and may not read contacts or change partners', async () => {
    const partner = await createPartner(db, { status: 'active', program, managerId });
    expect(await programManager.partners.get.query({ partnerId: partner.id })).toMatchObject({ id: partner.id, name: null, email: null, phone: null, piiVisible: false });
    await forbidden(programManager.partners.contacts.query({ partnerId: partner.id }));
    await forbidden(programManager.partners.update.mutate({ partnerId: partner.id, company: 'X' }));
    await forbidden(programManager.partners.suspend.mutate({ partnerId: partner.id, reasonCode: 'performance', note: 'x' }));
    await forbidden(programManager.partners.submitApplication.mutate({ name: 'X', email: 'x@example.com', country: 'US', promotionalMethods: ['blog'] }));
  });
});

describe('Compliance Officer: reads everything, suspends for compliance, exports and erases', () => {
  it('reads PII of any partner and its contacts', async () => {
    const partner = await createPartner(db, { status: 'active', program, managerId });
    await admin.partners.addContact.mutate({ partnerId: partner.id, role: 'primary', name: 'Visible Person' });
    expect(await complianceOfficer.partners.get.query({ partnerId: partner.id })).toMatchObject({ name: partner.name, email: partner.email, piiVisible: true });
    expect(await complianceOfficer.partners.contacts.query({ partnerId: partner.id })).toEqual([expect.objectContaining({ name: 'Visible Person', piiVisible: true })]);
  });

  it('suspends with reason compliance, and is refused any other reason with a message that says so', async () => {
    const partner = await createPartner(db, { status: 'active', program });
    for (const reasonCode of ['fraud', 'performance', 'partner_request', 'other'] as const) {
      await forbidden(
        complianceOfficer.partners.suspend.mutate({ partnerId: partner.id, reasonCode, note: 'x' }),
        new RegExp(`may not suspend partner \\S+ with reason ${reasonCode}: your roles may suspend only with reason compliance`),
      );
    }
    expect(await statusOf(partner.id)).toBe('active');
    await expect(complianceOfficer.partners.suspend.mutate({ partnerId: partner.id, reasonCode: 'compliance', note: 'sanctions screening' })).resolves.toMatchObject({
      toStatus: 'suspended',
    });
  });

  it('may not reactivate, terminate, update or edit contacts', async () => {
    const partner = await createPartner(db, { status: 'suspended', program });
    await forbidden(complianceOfficer.partners.reactivate.mutate({ partnerId: partner.id, reasonCode: 'compliance', note: 'x' }));
    await forbidden(complianceOfficer.partners.terminate.mutate({ partnerId: partner.id, reasonCode: 'compliance', note: 'x' }));
    await forbidden(complianceOfficer.partners.update.mutate({ partnerId: partner.id, company: 'X' }));
    await forbidden(complianceOfficer.partners.addContact.mutate({ partnerId: partner.id, role: 'primary', name: 'X' }));
    await forbidden(complianceOfficer.partners.verify.mutate({ partnerId: partner.id, decision: 'approve' }));
  });

  it('exports and erases (the Affiliate Admin may too); nobody else may', async () => {
    const partner = await createPartner(db, { status: 'terminated' });
    await expect(complianceOfficer.partners.exportData.mutate({ partnerId: partner.id })).resolves.toMatchObject({ partner: { id: partner.id, email: partner.email } });
    await expect(admin.partners.exportData.mutate({ partnerId: partner.id })).resolves.toMatchObject({ partner: { id: partner.id } });
    await forbidden(programManager.partners.exportData.mutate({ partnerId: partner.id }));
    await forbidden(programManager.partners.erase.mutate({ partnerId: partner.id }));
    await expect(complianceOfficer.partners.erase.mutate({ partnerId: partner.id })).resolves.toMatchObject({ alreadyErased: false });
    const another = await createPartner(db, { status: 'rejected' });
    await expect(admin.partners.erase.mutate({ partnerId: another.id })).resolves.toMatchObject({ alreadyErased: false });
  });
});

describe('Affiliate Admin: everything', () => {
  it('terminates, which no other role may', async () => {
    const partner = await createPartner(db, { status: 'active', program, managerId });
    await expect(admin.partners.terminate.mutate({ partnerId: partner.id, reasonCode: 'fraud', note: 'confirmed' })).resolves.toMatchObject({ toStatus: 'terminated' });
  });

  it('changes any partner regardless of its manager, and sees all PII', async () => {
    const partner = await createPartner(db, { status: 'active', program, managerId: otherManagerId });
    await expect(admin.partners.update.mutate({ partnerId: partner.id, phone: '+1 555 0142' })).resolves.toMatchObject({ phone: '+1 555 0142', piiVisible: true });
    await expect(admin.partners.suspend.mutate({ partnerId: partner.id, reasonCode: 'fraud', note: 'chargebacks' })).resolves.toMatchObject({ toStatus: 'suspended' });
  });
});
