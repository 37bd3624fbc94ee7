import { randomUUID } from 'node:crypto';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { asc, eq } from 'drizzle-orm';
import pg from 'pg';
import superjson from 'superjson';
import { beforeAll, describe, expect, it } from 'vitest';
import { activity, activitySeals } from '../db/schema/activity.js';
import { users, type Role } from '../db/schema/users.js';
import { sealActivity, verifyActivityChain } from '../server/domain/audit/chain.js';
import { recordActivity } from '../server/domain/audit/record.js';
import type { AppRouter } from '../server/index.js';
import { tokenFor } from './helpers/auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

/** A database and server of their own per scenario, so a broken chain in one cannot leak into another. */
async function scenario(env: Record<string, string> = { SCHEDULER_ENABLED: 'false' }) {
  const database = await createTestDatabase();
  const server = await startTestServer(database, env);
  return {
    database,
    server,
    admin: await server.client(['affiliate_admin']),
    auditor: await server.client(['compliance_officer']),
  };
}
const [main, chain, tamper, removal, scheduled] = await Promise.all([
  scenario(),
  scenario(),
  scenario(),
  scenario(),
  scenario({ AUDIT_SEAL_EVERY: '1 second' }),
]);
const race = await createTestDatabase();

function clientAs(url: string, roles: Role[], sub: string, requestId: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/trpc`,
        transformer: superjson,
        headers: async () => ({ authorization: `Bearer ${await tokenFor(roles, { sub })}`, 'x-request-id': requestId }),
      }),
    ],
  });
}

async function failure(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a tRPC error, got ${String(error)}`);
  return error as TRPCClientError<AppRouter>;
}

const activityOf = (database: TestDatabase, entityId: string) =>
  database.db.select().from(activity).where(eq(activity.entityId, entityId)).orderBy(asc(activity.id));

/** Runs SQL the way an intruder with database access would: with triggers (and so the append-only guard) off. */
async function behindTheServicesBack(database: TestDatabase, statement: string, params: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('set session_replication_role = replica');
    const result = await client.query(statement, params);
    expect(result.rowCount).toBe(1);
  } finally {
    await client.end();
  }
}

async function createUsers(admin: (typeof main)['admin'], count: number) {
  const created = [];
  for (let i = 0; i < count; i++) {
    created.push(await admin.users.create.mutate({ email: `${randomUUID()}@example.com`, name: `User ${i}`, roles: ['partner_manager'] }));
  }
  return created;
}

describe('audit rows', () => {
  it('are written once per mutation, with actor, roles, action, entity, request id and the new values', async () => {
    const actorId = randomUUID();
    const client = clientAs(main.server.url, ['affiliate_admin', 'compliance_officer'], actorId, 'req-create-1');
    const created = await client.users.create.mutate({ email: 'ada@example.com', name: 'Ada', roles: ['partner_manager'] });
    const rows = await activityOf(main.database, created.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId,
      actorRoles: ['affiliate_admin', 'compliance_officer'],
      action: 'user.create',
      entityType: 'user',
      entityId: created.id,
      requestId: 'req-create-1',
      before: null,
      after: { id: created.id, email: 'ada@example.com', name: 'Ada', roles: ['partner_manager'], active: true },
    });
  });

  it('of an update hold only the fields that changed', async () => {
    const [user] = await createUsers(main.admin, 1);
    const client = clientAs(main.server.url, ['affiliate_admin'], 'admin-7', 'req-update-1');
    await client.users.update.mutate({ id: user!.id, name: 'User 0', roles: ['program_manager', 'partner_manager'], active: false });
    const rows = await activityOf(main.database, user!.id);
    expect(rows.map((row) => row.action)).toEqual(['user.create', 'user.update']);
    expect(rows[1]).toMatchObject({
      actorId: 'admin-7',
      actorRoles: ['affiliate_admin'],
      requestId: 'req-update-1',
      before: { roles: ['partner_manager'], active: true },
      after: { roles: ['program_manager', 'partner_manager'], active: false },
    });
    expect(Object.keys(rows[1]!.before!).sort()).toEqual(['active', 'roles']);
    expect(Object.keys(rows[1]!.after!).sort()).toEqual(['active', 'roles']);
  });

  it('are part of the mutation: when the audit insert fails, nothing happens and the caller learns nothing internal', async () => {
    await main.database.pool.query(`
      create function refuse_marked_activity() returns trigger language plpgsql as $$
      begin
        if new.after->>'name' = 'Audit Must Fail' then
          raise exception 'test trigger refused the audit row for %', new.entity_id;
        end if;
        return new;
      end $$;
      create trigger activity_refuse_marked before insert on activity
        for each row execute function refuse_marked_activity();`);
    const [user] = await createUsers(main.admin, 1);
    const client = clientAs(main.server.url, ['affiliate_admin'], 'admin-8', 'req-fail-1');

    const updateError = await failure(client.users.update.mutate({ id: user!.id, name: 'Audit Must Fail' }));
    const createError = await failure(
      client.users.create.mutate({ email: 'never@example.com', name: 'Audit Must Fail', roles: ['affiliate_admin'] }),
    );

    for (const error of [updateError, createError]) {
      expect(error.data).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 });
      expect(error.message).toBe('Internal server error (request req-fail-1)');
      expect(error.data).not.toHaveProperty('stack');
      expect(JSON.stringify(error.shape)).not.toMatch(/trigger|activity|insert|select|\.ts:|at /i);
    }
    const [stored] = await main.database.db.select().from(users).where(eq(users.id, user!.id));
    expect(stored!.name).toBe('User 0');
    expect(await main.database.db.select().from(users).where(eq(users.email, 'never@example.com'))).toEqual([]);
    expect((await activityOf(main.database, user!.id)).map((row) => row.action)).toEqual(['user.create']);
  });

  it('cannot be changed or removed: the database refuses UPDATE, DELETE and TRUNCATE on activity and its seals', async () => {
    await createUsers(main.admin, 1);
    expect(await sealActivity(main.database.db)).toBeGreaterThan(0);
    const statements = [
      `update activity set action = 'rewritten'`,
      `delete from activity`,
      // cascade: a plain TRUNCATE stops at the seals' foreign key before the trigger gets a say.
      `truncate activity cascade`,
      `update activity_seals set hash = '\\x00'`,
      `delete from activity_seals`,
      `truncate activity_seals`,
    ];
    for (const statement of statements) {
      await expect(main.database.pool.query(statement), statement).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/is append-only/),
      });
    }
  });
});

describe('the seal chain', () => {
  it('verifies an untouched chain, and shows rows written after a seal as unsealed until the next one', async () => {
    await createUsers(chain.admin, 3);
    expect(await sealActivity(chain.database.db)).toBe(3);
    expect(await chain.auditor.audit.verify.query()).toEqual({ ok: true, sealed: 3, unsealed: 0, firstBroken: null });

    await createUsers(chain.admin, 2);
    expect(await chain.auditor.audit.verify.query()).toEqual({ ok: true, sealed: 3, unsealed: 2, firstBroken: null });
    expect(await sealActivity(chain.database.db)).toBe(2);
    expect(await sealActivity(chain.database.db)).toBe(0);
    expect(await chain.auditor.audit.verify.query()).toEqual({ ok: true, sealed: 5, unsealed: 0, firstBroken: null });
  });

  it('names the first row that was edited behind the service’s back', async () => {
    const [, second] = await createUsers(tamper.admin, 4);
    await sealActivity(tamper.database.db);
    const [edited] = await activityOf(tamper.database, second!.id);
    await behindTheServicesBack(
      tamper.database,
      `update activity set after = jsonb_set(after, '{name}', '"Mallory"') where id = $1`,
      [edited!.id],
    );
    const [link] = await tamper.database.db.select().from(activitySeals).where(eq(activitySeals.activityId, edited!.id));
    expect(await tamper.auditor.audit.verify.query()).toEqual({
      ok: false,
      sealed: 1,
      unsealed: 0,
      firstBroken: { seq: link!.seq, activityId: edited!.id, reason: 'the activity row was changed after it was sealed' },
    });
  });

  it('reports a sealed row that was deleted', async () => {
    const created = await createUsers(removal.admin, 3);
    await sealActivity(removal.database.db);
    const [deleted] = await activityOf(removal.database, created[1]!.id);
    await behindTheServicesBack(removal.database, `delete from activity where id = $1`, [deleted!.id]);
    const report = await removal.auditor.audit.verify.query();
    expect(report).toMatchObject({ ok: false, sealed: 1, firstBroken: { activityId: deleted!.id, reason: 'the activity row is missing' } });
  });

  it('is sealed by the scheduler’s audit-seal job without anyone calling it', async () => {
    await createUsers(scheduled.admin, 2);
    const deadline = Date.now() + 20_000;
    let report = await scheduled.auditor.audit.verify.query();
    while (report.unsealed > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      report = await scheduled.auditor.audit.verify.query();
    }
    expect(report).toEqual({ ok: true, sealed: 2, unsealed: 0, firstBroken: null });
  });

  it('stays one consistent chain when sealers race each other and the writers', async () => {
    const actor = { userId: 'racer', roles: ['affiliate_admin' as const], requestId: null };
    const entries = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ action: 'race.write', entityType: 'race', entityId: `${tag}-${i}`, after: { i } }));
    await recordActivity(race.db, actor, entries(500, 'seed'));
    const [first, second] = await Promise.all([sealActivity(race.db), sealActivity(race.db)]);
    expect(first + second).toBe(500);

    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 25; i++) await recordActivity(race.db, actor, entries(3, `w${w}-${i}`));
    });
    const sealers = Array.from({ length: 3 }, async () => {
      let sealed = 0;
      while (writing) sealed += await sealActivity(race.db, 7);
      return sealed;
    });
    await Promise.all(writers);
    writing = false;
    let sealed = (await Promise.all(sealers)).reduce((sum, n) => sum + n, 0);
    for (let batch = await sealActivity(race.db); batch > 0; batch = await sealActivity(race.db)) sealed += batch;

    expect(sealed).toBe(300);
    expect(await verifyActivityChain(race.db)).toEqual({ ok: true, sealed: 800, unsealed: 0, firstBroken: null });
  });
});

describe('audit.list', () => {
  const tag = randomUUID().slice(0, 8);
  const hour = (h: number) => new Date(Date.UTC(2001, 0, 1, h));
  const seeded = Array.from({ length: 30 }, (_, i) => ({
    actorId: `${tag}-actor-${i % 3}`,
    actorRoles: ['affiliate_admin'],
    action: `${tag}.${i % 4 === 0 ? 'suspend' : 'update'}`,
    entityType: `${tag}-${i % 2 ? 'partner' : 'program'}`,
    entityId: String(i % 5),
    at: hour(i),
  }));
  let stored: (typeof activity.$inferSelect)[] = [];
  beforeAll(async () => {
    stored = await main.database.db.insert(activity).values(seeded).returning();
  });

  type ListInput = Parameters<typeof main.auditor.audit.list.query>[0];
  async function everyPage(input: ListInput) {
    const pages: number[][] = [];
    let cursor: string | undefined;
    do {
      const page = await main.auditor.audit.list.query({ ...input, cursor });
      pages.push(page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 100);
    return pages;
  }
  /** The seeded rows a filter should return, newest first. */
  const expected = (keep: (row: (typeof seeded)[number]) => boolean) =>
    stored.filter(keep).map((row) => row.id).reverse();

  it('filters by entity, actor, action and time range', async () => {
    const filters: [ListInput, (row: (typeof seeded)[number]) => boolean][] = [
      [{ entityType: `${tag}-partner` }, (row) => row.entityType === `${tag}-partner`],
      [{ entityType: `${tag}-program`, entityId: '2' }, (row) => row.entityType === `${tag}-program` && row.entityId === '2'],
      [{ actorId: `${tag}-actor-1` }, (row) => row.actorId === `${tag}-actor-1`],
      [{ action: `${tag}.suspend` }, (row) => row.action === `${tag}.suspend`],
      [{ at: { from: hour(5), to: hour(9) } }, (row) => row.at >= hour(5) && row.at < hour(9)],
      [
        { actorId: `${tag}-actor-0`, action: `${tag}.update`, at: { from: hour(10) } },
        (row) => row.actorId === `${tag}-actor-0` && row.action === `${tag}.update` && row.at >= hour(10),
      ],
    ];
    for (const [input, keep] of filters) {
      const want = expected(keep);
      expect(want.length, JSON.stringify(input)).toBeGreaterThan(0);
      expect((await everyPage({ ...input, limit: 200 })).flat(), JSON.stringify(input)).toEqual(want);
    }
  });

  it('returns the rows themselves', async () => {
    const [row] = expected((r) => r.at.getTime() === hour(7).getTime());
    const page = await main.auditor.audit.list.query({ at: { from: hour(7), to: hour(8) } });
    expect(page).toMatchObject({ nextCursor: null, items: [{ id: row, actorId: `${tag}-actor-1`, entityId: '2', entityType: `${tag}-partner` }] });
  });

  it('pages with a cursor: pages do not overlap and together hold every row', async () => {
    const all = expected(() => true);
    const range = { from: hour(0), to: hour(30) };
    for (const limit of [7, 10, 30, 31]) {
      const pages = await everyPage({ at: range, limit });
      expect(pages.map((page) => page.length)).toEqual(
        Array.from({ length: Math.ceil(30 / limit) }, (_, i) => Math.min(limit, 30 - i * limit)),
      );
      expect(pages.flat()).toEqual(all);
    }
  });

  it('refuses a cursor it did not hand out as BAD_REQUEST', async () => {
    for (const cursor of ['abc', '1.5', '-3', '99999999999999999999', '']) {
      const error = await failure(main.auditor.audit.list.query({ cursor }));
      expect(error.data, cursor).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
      expect(error.message).toMatch(/cursor/);
    }
  });

  it('is only for readers of the audit trail', async () => {
    const error = await failure((await main.server.client(['partner_manager'])).audit.list.query({}));
    expect(error.data).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('matches filter values exactly, not as patterns or case-insensitively', async () => {
    expect(expected((row) => row.entityType === `${tag}-partner`).length).toBeGreaterThan(0);
    for (const entityType of [`${tag}-PARTNER`, `${tag}-%`, `${tag}-partne_`]) {
      expect((await main.auditor.audit.list.query({ entityType })).items, entityType).toEqual([]);
    }
  });
});
