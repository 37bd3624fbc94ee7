import { randomUUID } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../db/schema/users.js';
import type { AppRouter } from '../server/index.js';
import { appRouter } from '../server/routers/index.js';
import { tokenFor } from './helpers/auth.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
// No scheduler: its sealing job would change activity_seals between a call and the snapshot after it.
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const admin = await server.client(['affiliate_admin']);

async function failure(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a tRPC error, got ${String(error)}`);
  return error as TRPCClientError<AppRouter>;
}

describe('input errors', () => {
  it('are BAD_REQUEST naming every bad field, in the message and in data.fieldErrors', async () => {
    const error = await failure(admin.users.create.mutate({ email: 'not-an-email', name: '', roles: ['affiliate_admin', 'wizard'] } as never));
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect(Object.keys((error.data as { fieldErrors: object }).fieldErrors).sort()).toEqual(['email', 'name', 'roles.1']);
    expect(error.message).toMatch(/^Invalid input: /);
    for (const field of ['email: ', 'name: ', 'roles.1: ']) expect(error.message).toContain(field);
  });

  it('name nested fields by their path', async () => {
    const error = await failure(admin.audit.list.query({ at: { from: 'yesterday-ish' } } as never));
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', fieldErrors: { 'at.from': [expect.any(String)] } });
    expect(error.message).toContain('at.from: ');
  });

  it('name the input itself when it is not an object at all', async () => {
    const error = await failure(admin.users.update.mutate('abc' as never));
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', fieldErrors: { '(input)': [expect.any(String)] } });
  });
});

describe('domain errors', () => {
  it('are NOT_FOUND for a user that does not exist, naming it', async () => {
    const id = randomUUID();
    const error = await failure(admin.users.update.mutate({ id, name: 'Nobody' }));
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(error.message).toBe(`User ${id} does not exist`);
  });

  it('are CONFLICT for an email that exists in another case', async () => {
    await admin.users.create.mutate({ email: 'Dup.Licate@Example.com', name: 'First', roles: ['partner_manager'] });
    const error = await failure(admin.users.create.mutate({ email: 'dup.licate@EXAMPLE.COM', name: 'Second', roles: ['program_manager'] }));
    expect(error.data).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    expect(error.message).toContain('dup.licate@EXAMPLE.COM');
    const { rows } = await database.pool.query(`select name from users where lower(email) = 'dup.licate@example.com'`);
    expect(rows).toEqual([{ name: 'First' }]);
  });

  it('are BAD_REQUEST, not a server error, for text PostgreSQL cannot store', async () => {
    const error = await failure(admin.users.create.mutate({ email: 'nul@example.com', name: 'a\u0000b', roles: ['affiliate_admin'] }));
    expect(error.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect(error.message).not.toMatch(/UTF8|0x00|insert|users/i);
    const { rows } = await database.pool.query(`select 1 from users where email = 'nul@example.com'`);
    expect(rows).toEqual([]);
  });
});

/** A digest of every table but the scheduler's own, so "nothing changed" can be checked whatever tables exist. */
async function snapshot(): Promise<Record<string, string>> {
  const { rows: tables } = await database.pool.query<{ name: string }>(`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'agenda_jobs'
    order by table_name`);
  const digests = tables.map(
    ({ name }) =>
      `select '${name}' as name, (select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from "${name}" t) as digest`,
  );
  const { rows } = await database.pool.query<{ name: string; digest: string }>(digests.join(' union all '));
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}

interface ProcedureDef {
  type: string;
  inputs: unknown[];
}
// Typed as the nested router record, but at runtime a flat record keyed by the dotted path ('users.create').
const mutations = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>)
  .filter(([, procedure]) => procedure._def.type === 'mutation')
  .map(([path, procedure]) => ({ path, input: procedure._def.inputs[0] as ZodSchema | undefined }));

const junkText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\uD800', 'e\u0301', '💥'.repeat(500), "'; drop table users; --", '%_\\'),
  fc.constant('x'.repeat(200_000)),
);
const junk = fc.oneof(
  junkText,
  fc.array(fc.constantFrom(...ROLES, 'root'), { maxLength: 4 }),
  fc.oneof(fc.boolean(), fc.integer(), fc.double(), fc.constant(null), fc.constant(2 ** 53 + 1), fc.constant(-1e308)),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.anything(),
);

/** The parts of zod's schema definitions that the generator below reads. */
interface ZodSchema {
  _zod: {
    def: {
      type: string;
      format?: string;
      checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number; value?: number } } }[];
      shape?: Record<string, ZodSchema>;
      element?: ZodSchema;
      innerType?: ZodSchema;
      in?: ZodSchema;
      options?: ZodSchema[];
      entries?: Record<string, string | number>;
      values?: unknown[];
    };
  };
}

/**
 * Values shaped like the schema wants, with junk in some places: mostly valid inputs reach the domain code and
 * the database, where the interesting failures are. Unknown schema kinds get arbitrary values.
 */
function nearlyValid(schema: ZodSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema?._zod) return junk;
  const def = schema._zod.def;
  const bound = (check: string) => def.checks?.map((c) => c._zod.def).find((c) => c.check === check);
  const min = bound('min_length')?.minimum ?? bound('greater_than')?.value;
  const max = bound('max_length')?.maximum ?? bound('less_than')?.value;
  // Lengths stay small to keep requests cheap, but never below what the schema requires.
  const length = (cap: number) => ({ minLength: min ?? 0, maxLength: Math.max(min ?? 0, Math.min(max ?? cap, cap)) });
  const valid = (): fc.Arbitrary<unknown> => {
    switch (def.type) {
      case 'object':
        return fc.record(Object.fromEntries(Object.entries(def.shape ?? {}).map(([key, field]) => [key, nearlyValid(field)])));
      case 'optional':
        return fc.oneof(fc.constant(undefined), nearlyValid(def.innerType));
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        return nearlyValid(def.innerType);
      case 'pipe':
        return nearlyValid(def.in);
      case 'union':
        return fc.oneof(...(def.options ?? []).map(nearlyValid));
      case 'array':
        return fc.array(nearlyValid(def.element), length(5));
      case 'enum':
        return fc.constantFrom(...Object.values(def.entries ?? { junk: 'junk' }));
      case 'literal':
        return fc.constantFrom(...(def.values ?? [null]));
      case 'boolean':
        return fc.boolean();
      case 'number':
        return fc.integer({ min: Math.ceil(min ?? -1e6), max: Math.max(Math.ceil(min ?? -1e6), Math.floor(max ?? 1e6)) });
      case 'date':
        return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
      case 'string': {
        // fast-check's emailAddress() allows local parts zod refuses; keep these plain so most get through.
        if (def.format === 'email') {
          const part = fc.stringMatching(/^[a-zA-Z0-9]{1,12}$/);
          return fc.tuple(part, part).map(([local, domain]) => `${local}@${domain}.example`);
        }
        if (def.format === 'uuid') return fc.uuid({ version: 4 });
        if (def.format === 'url') return fc.webUrl();
        const instant = fc.date({ noInvalidDate: true, min: new Date('1970-01-01'), max: new Date('2100-01-01') });
        if (def.format === 'datetime') return instant.map((date) => date.toISOString());
        if (def.format === 'date') return instant.map((date) => date.toISOString().slice(0, 10));
        const text = fc.string({ unit: 'grapheme', ...length(30) });
        return fc.oneof(text, text.map((value) => `${value}\u0000`));
      }
      default:
        return junk;
    }
  };
  return fc.oneof({ arbitrary: valid(), weight: 5 }, { arbitrary: junk, weight: 1 });
}

/** A request body: JSON of a (nearly) valid input or of anything at all, or text that is not JSON. */
function bodies(input: ZodSchema | undefined): fc.Arbitrary<{ raw: string } | { json: unknown }> {
  return fc.oneof(
    { arbitrary: nearlyValid(input).map((json) => ({ json })), weight: 6 },
    { arbitrary: fc.anything().map((json) => ({ json })), weight: 2 },
    { arbitrary: fc.dictionary(fc.string(), junk, { maxKeys: 5 }).map((json) => ({ json })), weight: 1 },
    { arbitrary: fc.oneof(fc.string(), fc.constantFrom('{', '{"id":', '[1,,2]', 'null null')).map((raw) => ({ raw })), weight: 1 },
  );
}

describe('every mutation, given junk', () => {
  it('finds the mutations to test', () => {
    expect(mutations.map(({ path }) => path)).toEqual(expect.arrayContaining(['users.create', 'users.update']));
  });

  it('never answers with a 5xx, and a refused call changes nothing', { timeout: 60_000 }, async () => {
    const authorization = `Bearer ${await tokenFor(['affiliate_admin'])}`;
    // Bounded so the whole run stays fast however many mutations the router grows.
    const numRuns = Math.max(10, Math.min(60, Math.floor(800 / mutations.length)));
    let before = await snapshot();
    for (const { path, input } of mutations) {
      await fc.assert(
        fc.asyncProperty(bodies(input), async (body) => {
          // JSON.stringify(undefined) is undefined: the request then has no body at all.
          const text = 'raw' in body ? body.raw : JSON.stringify(body.json);
          const response = await fetch(`${server.url}/trpc/${path}`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: text,
          });
          const answer = await response.text();
          expect(response.status, `${path} answered ${answer.slice(0, 500)}`).toBeLessThan(500);
          const after = await snapshot();
          if (!response.ok) expect(after, `${path} failed with ${response.status} but changed the database`).toEqual(before);
          before = after;
        }),
        { numRuns },
      );
    }
  });
});
