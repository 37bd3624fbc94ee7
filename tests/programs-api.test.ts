import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sampleConfiguration } from './helpers/factories/programs.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const admin = await server.client(['affiliate_admin']);
const programManager = await server.client(['program_manager']);
const partnerManager = await server.client(['partner_manager']);
const complianceOfficer = await server.client(['compliance_officer']);

const newProgram = (name = `Program ${randomUUID().slice(0, 8)}`) => ({
  name,
  currency: 'EUR',
  description: 'Resellers in Europe',
  configuration: sampleConfiguration(),
});

describe('programs over HTTP', () => {
  it('lets a program manager create, reconfigure and archive a program', async () => {
    const created = await programManager.programs.create.mutate(newProgram());
    expect(created).toMatchObject({ currency: 'EUR', status: 'active', currentVersion: 1, current: { version: 1, reason: 'initial configuration' } });

    const configuration = { ...created.current.configuration, rules: { ...created.current.configuration.rules, holdDays: 45 } };
    const updated = await programManager.programs.updateConfiguration.mutate({
      programId: created.id,
      configuration,
      reason: 'longer refund window',
      baseVersion: 1,
    });
    expect(updated).toMatchObject({ version: 2, reason: 'longer refund window' });

    const fetched = await programManager.programs.get.query({ programId: created.id });
    expect(fetched).toMatchObject({ currentVersion: 2, current: { version: 2, configuration: { rules: { holdDays: 45 } } } });

    const versions = await programManager.programs.versions.query({ programId: created.id, limit: 1 });
    expect(versions.items.map((version) => version.version)).toEqual([2]);
    const older = await programManager.programs.versions.query({ programId: created.id, limit: 1, cursor: versions.nextCursor! });
    expect(older).toMatchObject({ items: [{ version: 1, configuration: { rules: { holdDays: 30 } } }], nextCursor: null });

    expect(await programManager.programs.archive.mutate({ programId: created.id })).toMatchObject({ status: 'archived' });
    await expect(programManager.programs.archive.mutate({ programId: created.id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Program is archived; it cannot become archived',
    });
  });

  it('names the field of a bad configuration in a BAD_REQUEST', async () => {
    const configuration = sampleConfiguration();
    const bad = {
      ...configuration,
      commissionTiers: [{ ...configuration.commissionTiers[0]!, value: 12_000 }, configuration.commissionTiers[1]!],
    };
    const error = await admin.programs.create.mutate({ ...newProgram(), configuration: bad }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ data: { code: 'BAD_REQUEST', httpStatus: 400 } });
    expect((error as Error).message).toMatch(/configuration\.commissionTiers\.0\.value: a percentage is in basis points/);
    expect((error as { data: { fieldErrors: Record<string, string[]> } }).data.fieldErrors).toHaveProperty(['configuration.commissionTiers.0.value']);

    await expect(admin.programs.create.mutate({ ...newProgram(), currency: 'EURO' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/currency: must be an ISO 4217 currency code/),
    });
    await expect(admin.programs.create.mutate({ ...newProgram(), currency: 'ZZZ' })).rejects.toMatchObject({
      message: expect.stringMatching(/currency:/),
    });

    const program = await admin.programs.create.mutate(newProgram());
    await expect(
      admin.programs.updateConfiguration.mutate({
        programId: program.id,
        reason: 'deeper overrides',
        configuration: { ...program.current.configuration, rules: { ...program.current.configuration.rules, maxHierarchyDepth: 0 } },
      }),
    ).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/configuration\.commissionTiers\.0\.overrides\.0\.level: level 1 exceeds rules\.maxHierarchyDepth \(0\)/),
    });
  });

  it('refuses a duplicate name, a malformed id and a malformed cursor as caller errors', async () => {
    const name = `Duplicate ${randomUUID().slice(0, 8)}`;
    await admin.programs.create.mutate(newProgram(name));
    await expect(admin.programs.create.mutate(newProgram(name.toUpperCase()))).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringMatching(/already exists/),
    });
    await expect(admin.programs.get.query({ programId: 'not-a-uuid' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/programId/),
    });
    await expect(admin.programs.get.query({ programId: randomUUID() })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.programs.list.query({ cursor: 'garbage' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/cursor/),
    });
  });

  it('lists programs by name, page by page, filtered by status', async () => {
    const prefix = `Zeta ${randomUUID().slice(0, 6)}`;
    const names = ['c', 'a', 'b'].map((letter) => `${prefix} ${letter}`);
    const created = [];
    for (const name of names) created.push(await admin.programs.create.mutate(newProgram(name)));
    await admin.programs.archive.mutate({ programId: created[0]!.id });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await complianceOfficer.programs.list.query({ limit: 2, cursor });
      seen.push(...page.items.map((program) => program.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const mine = seen.filter((name) => name.startsWith(prefix));
    expect(mine).toEqual([`${prefix} a`, `${prefix} b`, `${prefix} c`]);

    const archived = await partnerManager.programs.list.query({ status: 'archived', limit: 200 });
    expect(archived.items.map((program) => program.name)).toContain(`${prefix} c`);
    expect(archived.items.every((program) => program.status === 'archived')).toBe(true);
  });
});

describe('who may do what with programs', () => {
  it('lets every staff role read programs and their versions', async () => {
    const program = await admin.programs.create.mutate(newProgram());
    for (const reader of [admin, programManager, partnerManager, complianceOfficer]) {
      await expect(reader.programs.get.query({ programId: program.id })).resolves.toMatchObject({ id: program.id });
      await expect(reader.programs.versions.query({ programId: program.id })).resolves.toMatchObject({ items: [{ version: 1 }] });
    }
  });

  it('lets only program managers and admins create, reconfigure and archive', async () => {
    const program = await admin.programs.create.mutate(newProgram());
    const configuration = { ...program.current.configuration, rules: { ...program.current.configuration.rules, holdDays: 10 } };
    for (const outsider of [partnerManager, complianceOfficer]) {
      await expect(outsider.programs.create.mutate(newProgram())).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
      await expect(
        outsider.programs.updateConfiguration.mutate({ programId: program.id, configuration, reason: 'not mine' }),
      ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
      await expect(outsider.programs.archive.mutate({ programId: program.id })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    }
    expect((await admin.programs.get.query({ programId: program.id })).currentVersion).toBe(1);

    await expect(programManager.programs.create.mutate(newProgram())).resolves.toMatchObject({ currentVersion: 1 });
    await expect(
      admin.programs.updateConfiguration.mutate({ programId: program.id, configuration, reason: 'admin change' }),
    ).resolves.toMatchObject({ version: 2 });
    await expect(admin.programs.archive.mutate({ programId: program.id })).resolves.toMatchObject({ status: 'archived' });
  });
});
