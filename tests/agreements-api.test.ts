import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { insertUser } from './helpers/factories/hierarchy.js';
import { createProgram, insertPartnerRow } from './helpers/factories/programs.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const managerId = await insertUser(db, { roles: ['partner_manager'] });
const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager'], { sub: managerId });
const programManager = await server.client(['program_manager']);
const officer = await server.client(['compliance_officer']);

const terms = () => ({ title: 'Partner Program Agreement', body: `Revision ${randomUUID()}` });

describe('agreements over HTTP', () => {
  it('publishes terms that every staff role can read, and records a partner manager’s acceptance', async () => {
    const published = await officer.agreements.publish.mutate(terms());
    expect(published).toMatchObject({ requiresReacceptance: true, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    for (const reader of [admin, manager, programManager, officer]) {
      expect((await reader.agreements.current.query())?.version).toBe(published.version);
      expect((await reader.agreements.versions.query({ limit: 1 })).items[0]?.id).toBe(published.id);
    }

    const program = await createProgram(db);
    const partnerId = await insertPartnerRow(db, { managerId, programId: program.id, status: 'enrolled' });
    const acceptance = await manager.agreements.recordAcceptance.mutate({
      partnerId,
      version: published.version,
      ipAddress: '198.51.100.23',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    });
    expect(acceptance).toMatchObject({ partnerId, version: published.version, ipAddress: '198.51.100.23', recordedBy: managerId });

    const status = await programManager.agreements.status.query({ programId: program.id, limit: 10 });
    expect(status).toMatchObject({ currentVersion: published.version, counts: { partners: 1, accepted: 1, notAccepted: 0 }, items: [] });
  });

  it('lets only compliance officers and admins publish', async () => {
    for (const outsider of [manager, programManager]) {
      await expect(outsider.agreements.publish.mutate(terms())).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    }
    await expect(admin.agreements.publish.mutate({ ...terms(), requiresReacceptance: false })).resolves.toMatchObject({
      requiresReacceptance: false,
    });
  });

  it('names the field of a bad acceptance', async () => {
    const { version } = await officer.agreements.publish.mutate(terms());
    const partnerId = await insertPartnerRow(db, { managerId });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ipAddress: '999.1.1.1' }, /ipAddress: must be an IPv4 or IPv6 address/],
      [{ acceptedAt: new Date(Date.now() + 3_600_000) }, /acceptedAt: must not be in the future/],
      [{ version: 0 }, /version:/],
      [{ partnerId: 'someone' }, /partnerId:/],
    ];
    for (const [change, message] of cases) {
      await expect(manager.agreements.recordAcceptance.mutate({ partnerId, version, ...change } as never)).rejects.toMatchObject({
        data: { code: 'BAD_REQUEST' },
        message: expect.stringMatching(message),
      });
    }
    await expect(officer.agreements.publish.mutate({ title: ' ', body: 'x' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/title:/),
    });
  });
});
