import { sql } from 'drizzle-orm';
import { createMongoAbility } from '@casl/ability';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PartnerStatus } from '../db/schema/partners.js';
import type { AppAbility } from '../server/auth/abilities.js';
import { listPartners } from '../server/domain/partners/list.js';
import { listPartnersInput } from '../server/domain/partners/schemas.js';
import { createTestDatabase } from './helpers/db.js';
import { createPartner, createStaffUser, createTestProgram, type TestPartner } from './helpers/factories/partners.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const managerA = await createStaffUser(db);
const managerB = await createStaffUser(db);
const programOne = await createTestProgram(db, { tiers: ['silver', 'gold'] });
const programTwo = await createTestProgram(db, { tiers: ['bronze'] });

interface Seeded extends TestPartner {
  status: PartnerStatus;
  managerId: string | null;
  parentId: string | null;
  company: string;
  createdAt: Date;
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
const STATUSES: PartnerStatus[] = ['applied', 'verified', 'enrolled', 'active', 'suspended', 'terminated'];
const base = Date.parse('2024-03-01T00:00:00Z');

/** 36 partners: names repeat (ties broken by id), every third shares its creation time with the one before. */
async function seed(): Promise<Seeded[]> {
  const seeded: Seeded[] = [];
  for (let i = 0; i < 36; i++) {
    const status = STATUSES[i % STATUSES.length]!;
    const program = i % 4 === 0 ? programTwo : programOne;
    const managerId = i % 3 === 0 ? managerA : i % 3 === 1 ? managerB : null;
    const parentId = i >= 30 ? seeded[0]!.id : null;
    const createdAt = new Date(base + Math.floor(i / 3) * 2 * 3_600_000 + (i % 3 === 2 ? 0 : (i % 3) * 60_000));
    const word = WORDS[i % WORDS.length]!;
    const company = i % 5 === 0 ? `100%_Media ${word}` : `Company ${word}`;
    const partner = await createPartner(db, {
      status,
      program,
      tier: ['enrolled', 'active', 'suspended'].includes(status) ? (i % 2 === 0 ? program.tiers[0]! : program.tiers.at(-1)!) : null,
      managerId,
      parentId,
      name: word,
      email: `${word}.${i}@example.org`,
      company,
      createdAt,
    });
    seeded.push({ ...partner, status, managerId, parentId, company, createdAt });
  }
  return seeded;
}
const seeded = await seed();

const admin = await server.client(['affiliate_admin']);
const clients = {
  affiliate_admin: admin,
  program_manager: await server.client(['program_manager']),
  compliance_officer: await server.client(['compliance_officer']),
  managerA: await server.client(['partner_manager'], { sub: managerA }),
};

type ListInput = Parameters<typeof admin.partners.list.query>[0];
type Sort = NonNullable<ListInput['sort']>;

async function walk(client: typeof admin, input: ListInput, limit = 7) {
  const ids: string[] = [];
  const pages = [];
  let cursor: string | undefined;
  do {
    const page = await client.partners.list.query({ ...input, limit, cursor });
    pages.push(page);
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return { ids, pages, items: pages.flatMap((page) => page.items) };
}

/** The order each sort promises, computed here: C collation = code-unit order, ties broken by id. */
function ordered(rows: Seeded[], sort: Sort, nameVisible: (row: Seeded) => boolean = () => true): string[] {
  const sign = sort.direction === 'desc' ? -1 : 1;
  const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  const keys = (row: Seeded): (string | number)[] => {
    if (sort.field === 'createdAt') return [row.createdAt.getTime()];
    if (sort.field === 'status') return [row.status, row.createdAt.getTime()];
    return [nameVisible(row) ? row.name : '\uffff'];
  };
  return [...rows]
    .sort((a, b) => {
      const [ka, kb] = [keys(a), keys(b)];
      if (sort.field === 'name' && (ka[0] === '\uffff') !== (kb[0] === '\uffff')) return ka[0] === '\uffff' ? 1 : -1;
      for (let i = 0; i < ka.length; i++) {
        const order = compare(ka[i]!, kb[i]!);
        if (order !== 0) return sign * order;
      }
      return sign * compare(a.id, b.id);
    })
    .map((row) => row.id);
}

const SORTS: Sort[] = (['createdAt', 'name', 'status'] as const).flatMap((field) =>
  (['asc', 'desc'] as const).map((direction) => ({ field, direction })),
);

describe('partners.list: sorting and keyset pagination', () => {
  it.each(SORTS)('walks every page sorted by $field $direction without gaps or repeats', async (sort) => {
    const { ids, pages } = await walk(admin, { sort });
    expect(ids).toEqual(ordered(seeded, sort));
    expect(pages.every((page) => page.total === seeded.length)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBeNull();
  });

  it('defaults to the newest first', async () => {
    const page = await admin.partners.list.query({ limit: 5 });
    expect(page.items.map((item) => item.id)).toEqual(ordered(seeded, { field: 'createdAt', direction: 'desc' }).slice(0, 5));
  });

  it('refuses a cursor of another sort and a forged cursor with BAD_REQUEST naming the cursor', async () => {
    const first = await admin.partners.list.query({ limit: 2, sort: { field: 'createdAt', direction: 'asc' } });
    for (const query of [
      { cursor: first.nextCursor!, sort: { field: 'name' as const, direction: 'asc' as const } },
      { cursor: first.nextCursor!, sort: { field: 'createdAt' as const, direction: 'desc' as const } },
      { cursor: 'not-a-cursor' },
      { cursor: Buffer.from(JSON.stringify({ f: 'createdAt', d: 'desc', k: ["'; drop table partners; --"], id: seeded[0]!.id })).toString('base64url') },
    ]) {
      await expect(admin.partners.list.query(query)).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringContaining('cursor') });
    }
  });
});

describe('partners.list: filters', () => {
  const cases: [string, ListInput, (row: Seeded) => boolean][] = [
    ['status', { status: ['active', 'suspended'] }, (row) => ['active', 'suspended'].includes(row.status)],
    ['tier', { tier: ['gold'] }, (row) => row.tier === 'gold'],
    ['program', { programId: programTwo.id }, (row) => row.programId === programTwo.id],
    ['program and tier', { programId: programOne.id, tier: ['silver'] }, (row) => row.programId === programOne.id && row.tier === 'silver'],
    ['manager', { managerId: managerB }, (row) => row.managerId === managerB],
    ['parent', { parentId: seeded[0]!.id }, (row) => row.parentId === seeded[0]!.id],
    [
      'created-at range (from inclusive, to exclusive)',
      { createdAt: { from: new Date(base + 2 * 3_600_000), to: new Date(base + 8 * 3_600_000) } },
      (row) => row.createdAt.getTime() >= base + 2 * 3_600_000 && row.createdAt.getTime() < base + 8 * 3_600_000,
    ],
    ['search in names, any case', { search: 'RAV' }, (row) => row.name.includes('rav')],
    ['search in emails', { search: '.7@example' }, (row) => row.email.includes('.7@example')],
    ['search in companies, % and _ taken literally', { search: '100%_m' }, (row) => row.company.toLowerCase().includes('100%_m')],
    ['search for a literal underscore matches no other character', { search: 'y_al' }, () => false],
    ['several filters at once', { status: ['active'], managerId: managerA, search: 'a' }, (row) => row.status === 'active' && row.managerId === managerA && /a/.test(row.name + row.email + row.company)],
  ];

  it.each(cases)('%s', async (_name, input, matches) => {
    const expected = ordered(seeded.filter(matches), { field: 'createdAt', direction: 'desc' });
    const { ids, pages } = await walk(admin, input, 4);
    expect(ids).toEqual(expected);
    expect(pages[0]!.total).toBe(expected.length);
  });

  it('refuses bad filters with BAD_REQUEST naming the field', async () => {
    await expect(admin.partners.list.query({ status: ['dormant' as PartnerStatus] })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST', fieldErrors: { 'status.0': expect.any(Array) } } });
    await expect(admin.partners.list.query({ managerId: 'manager-a' })).rejects.toMatchObject({ data: { fieldErrors: { managerId: expect.any(Array) } } });
    await expect(admin.partners.list.query({ createdAt: { from: new Date(base + 1), to: new Date(base) } })).rejects.toMatchObject({
      data: { fieldErrors: { 'createdAt.to': ['from must be before to'] } },
    });
  });
});

describe('partners.list: PII', () => {
  it('shows names, emails and phones to roles with PII access and hides them from the Program Manager', async () => {
    for (const role of ['affiliate_admin', 'compliance_officer'] as const) {
      const { items } = await walk(clients[role], {}, 50);
      expect(items.every((item) => item.piiVisible && item.name !== null && item.email !== null)).toBe(true);
    }
    const { items } = await walk(clients.program_manager, {}, 50);
    expect(items).toHaveLength(seeded.length);
    expect(items.every((item) => !item.piiVisible && item.name === null && item.email === null && item.phone === null)).toBe(true);
  });

  it('shows a Partner Manager the PII of the partners they manage only', async () => {
    const { items } = await walk(clients.managerA, {}, 50);
    for (const item of items) {
      const mine = seeded.find((row) => row.id === item.id)!.managerId === managerA;
      expect({ id: item.id, visible: item.piiVisible, hasName: item.name !== null }).toEqual({ id: item.id, visible: mine, hasName: mine });
    }
  });

  it('searches names and emails only where the caller may read them; companies for everyone', async () => {
    expect((await clients.program_manager.partners.list.query({ search: 'bravo.' })).total).toBe(0);
    const byCompany = await clients.program_manager.partners.list.query({ search: 'company bravo', limit: 50 });
    expect(byCompany.total).toBe(seeded.filter((row) => row.company === 'Company bravo').length);
    const byName = await clients.managerA.partners.list.query({ search: 'alpha.', limit: 50 });
    expect(byName.items.map((item) => item.id).sort()).toEqual(
      seeded.filter((row) => row.email.startsWith('alpha.') && row.managerId === managerA).map((row) => row.id).sort(),
    );
  });

  it('sorts names a Partner Manager may not read last, and never puts them in a cursor', async () => {
    const visible = (row: Seeded) => row.managerId === managerA;
    for (const direction of ['asc', 'desc'] as const) {
      const { ids, pages } = await walk(clients.managerA, { sort: { field: 'name', direction } }, 5);
      expect(ids).toEqual(ordered(seeded, { field: 'name', direction }, visible));
      const cursors = pages.map((page) => page.nextCursor).filter((cursor): cursor is string => cursor !== null);
      const decoded = cursors.map((cursor) => Buffer.from(cursor, 'base64url').toString('utf8')).join('\n');
      for (const row of seeded.filter((row) => !visible(row))) expect(decoded).not.toContain(`"${row.name}"`);
    }
  });
});

describe('partners.list never returns a row the caller may not see', () => {
  const seededManagers = [managerA, managerB];

  it('for any visibility rule, filters, sort and page size: exactly the visible matching rows, each once', async () => {
    const rule = fc.oneof(
      fc.constantFrom(...seededManagers).map((managerId) => ({ managerId })),
      fc.subarray(STATUSES, { minLength: 1 }).map((statuses) => ({ status: { $in: statuses } })),
      fc.constant({ parentId: seeded[0]!.id }),
    );
    const filters = fc.record(
      {
        status: fc.subarray(STATUSES, { minLength: 1 }),
        managerId: fc.constantFrom(...seededManagers),
        search: fc.constantFrom('a', 'li', 'company', 'o.1'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(rule, filters, fc.constantFrom(...SORTS), fc.integer({ min: 1, max: 12 }), async (conditions, filter, sort, limit) => {
        const ability = createMongoAbility<AppAbility>([
          { action: 'read', subject: 'Partner', conditions },
          { action: 'read_pii', subject: 'Partner' },
        ] as never);
        const visible = (row: Seeded) =>
          'managerId' in conditions
            ? row.managerId === conditions.managerId
            : 'parentId' in conditions
              ? row.parentId === conditions.parentId
              : conditions.status.$in.includes(row.status);
        const matches = (row: Seeded) =>
          (!filter.status || filter.status.includes(row.status)) &&
          (!filter.managerId || row.managerId === filter.managerId) &&
          (!filter.search || [row.name, row.email, row.company].some((text) => text.toLowerCase().includes(filter.search!.toLowerCase())));
        const ids: string[] = [];
        let cursor: string | undefined;
        let total = -1;
        do {
          const page = await listPartners(db, ability, listPartnersInput.parse({ ...filter, sort, limit, cursor }));
          ids.push(...page.items.map((item) => item.id));
          total = page.total;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const expected = ordered(seeded.filter((row) => visible(row) && matches(row)), sort);
        expect(ids).toEqual(expected);
        expect(total).toBe(expected.length);
      }),
      { numRuns: 40 },
    );
  });

  it('returns nothing, and counts nothing, for an ability without read on Partner', async () => {
    const ability = createMongoAbility<AppAbility>([{ action: 'read', subject: 'Program' }] as never);
    await expect(listPartners(db, ability, listPartnersInput.parse({}))).resolves.toEqual({ items: [], nextCursor: null, total: 0 });
  });
});

describe('partners.list: the tier filter (partner_tiers, kept by triggers on partners)', () => {
  const tierIds = async (programId: string, tier: string) =>
    (await walk(admin, { programId, tier: [tier] }, 50)).ids;

  it('follows tier moves, program changes and bulk loads, and always matches the partner rows', async () => {
    const program = await createTestProgram(db, { tiers: ['platinum', 'diamond'] });
    const other = await createTestProgram(db, { tiers: ['platinum'] });
    const partner = await createPartner(db, { status: 'active', program, tier: 'platinum' });
    expect(await tierIds(program.id, 'platinum')).toEqual([partner.id]);
    expect(await tierIds(program.id, 'diamond')).toEqual([]);

    await admin.partners.changeTier.mutate({ partnerId: partner.id, tier: 'diamond', reasonCode: 'performance' });
    expect(await tierIds(program.id, 'diamond')).toEqual([partner.id]);
    expect(await tierIds(program.id, 'platinum')).toEqual([]);

    await db.execute(sql`update partners set program_id = ${other.id}, tier = 'platinum' where id = ${partner.id}`);
    expect(await tierIds(other.id, 'platinum')).toEqual([partner.id]);
    expect(await tierIds(program.id, 'diamond')).toEqual([]);

    // A bulk load (no foreign-key checks, no ordinary triggers) keeps it too: its triggers fire always.
    const loaded = await db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      const created = await createPartner(tx as unknown as typeof db, { status: 'active', program, tier: 'platinum' });
      await tx.execute(sql`update partners set tier = 'diamond' where id = ${partner.id}`);
      return created;
    });
    expect(await tierIds(program.id, 'platinum')).toEqual([loaded.id]);
    expect(await tierIds(other.id, 'diamond')).toEqual([partner.id]);

    const drift = await db.execute<{ partners: number; mirrored: number; differing: number }>(sql`
      select (select count(*)::int from partners) as partners, (select count(*)::int from partner_tiers) as mirrored,
        (select count(*)::int from partners p left join partner_tiers t on t.partner_id = p.id
         where t.partner_id is null or (t.program_id, t.tier) is distinct from (p.program_id, p.tier)) as differing`);
    expect(drift.rows[0]!.differing).toBe(0);
    expect(drift.rows[0]!.mirrored).toBe(drift.rows[0]!.partners);
  });
});
