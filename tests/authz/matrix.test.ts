import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../../server/routers/index.js';
import type { Meta } from '../../server/trpc.js';
import { TEST_JWT_SECRET, tokenFor } from '../helpers/auth.js';
import { createTestDatabase } from '../helpers/db.js';
import { startTestServer } from '../helpers/server.js';
import { CALLERS, type Caller, type Expectations } from './expectations/types.js';

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  meta?: Partial<Meta>;
}
// Typed as the nested router record, but at runtime a flat record keyed by the dotted path ('users.me').
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>).map(
  ([path, procedure]) => ({ path, ...procedure._def }),
);

/** Every file in expectations/ (but the types) contributes its exported records; a path may appear only once. */
async function loadExpectations(): Promise<{ expectations: Expectations; duplicates: string[] }> {
  const folder = fileURLToPath(new URL('./expectations/', import.meta.url));
  const files = readdirSync(folder).filter((file) => /\.ts$/.test(file) && file !== 'types.ts').sort();
  const expectations: Expectations = {};
  const duplicates: string[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(`${folder}${file}`).href)) as Record<string, Expectations>;
    for (const record of Object.values(module)) {
      for (const [path, expectation] of Object.entries(record)) {
        if (path in expectations) duplicates.push(`${path} (again in ${file})`);
        expectations[path] = expectation;
      }
    }
  }
  return { expectations, duplicates };
}

const { expectations, duplicates } = await loadExpectations();
const database = await createTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

/** Calls a procedure the simplest way: GET without input for queries, POST `{}` for mutations. */
async function call(path: string, type: ProcedureDef['type'], authorization?: string): Promise<number> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const response =
    type === 'mutation'
      ? await fetch(`${server.url}/trpc/${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: '{}',
        })
      : await fetch(`${server.url}/trpc/${path}`, { headers });
  await response.arrayBuffer();
  return response.status;
}

async function mapLimited<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('authorization matrix', () => {
  it('has exactly one expectation for every procedure, and none for procedures that do not exist', () => {
    const paths = new Set(procedures.map((procedure) => procedure.path));
    const missing = [...paths].filter((path) => !(path in expectations)).sort();
    const unknown = Object.keys(expectations).filter((path) => !paths.has(path)).sort();
    expect({ missing, unknown, duplicates }).toEqual({ missing: [], unknown: [], duplicates: [] });
  });

  it('names only known callers in expectations', () => {
    const strays = Object.entries(expectations).flatMap(([path, { allowed }]) =>
      allowed.filter((caller) => !CALLERS.includes(caller)).map((caller) => `${path}: ${caller}`),
    );
    expect(strays).toEqual([]);
  });

  it('declares a permission on every procedure', () => {
    const undeclared = procedures.filter((procedure) => !procedure.meta?.permission).map((procedure) => procedure.path);
    expect(undeclared).toEqual([]);
  });

  it('lets exactly the expected callers through every procedure', async () => {
    const tokens = new Map<Caller, string | undefined>([['anonymous', undefined]]);
    for (const caller of CALLERS) {
      if (caller !== 'anonymous') tokens.set(caller, `Bearer ${await tokenFor([caller])}`);
    }
    const cases = procedures
      .filter((procedure) => procedure.path in expectations)
      .flatMap((procedure) => CALLERS.map((caller) => ({ ...procedure, caller })));
    const outcomes = await mapLimited(cases, 8, async ({ path, type, caller }) => {
      const status = await call(path, type, tokens.get(caller));
      const allowed = expectations[path]!.allowed.includes(caller);
      const refusal = caller === 'anonymous' ? 401 : 403;
      const ok = allowed ? status !== 401 && status !== 403 : status === refusal;
      return ok ? null : `${path} as ${caller}: expected ${allowed ? 'not 401/403' : refusal}, got ${status}`;
    });
    expect(outcomes.filter(Boolean)).toEqual([]);
  });
});

describe('tokens', () => {
  const guarded = procedures.filter((procedure) => procedure.meta?.permission !== 'public');

  const statusesWith = (authorization?: string) =>
    mapLimited(guarded, 8, async ({ path, type }) => `${path}: ${await call(path, type, authorization)}`);
  const all = (status: number) => guarded.map(({ path }) => `${path}: ${status}`);

  it('guards at least the foundation procedures', () => {
    expect(guarded.map(({ path }) => path)).toEqual(expect.arrayContaining(['users.me', 'users.create', 'audit.verify']));
  });

  it('refuses a missing authorization header as UNAUTHORIZED', async () => {
    expect(await statusesWith(undefined)).toEqual(all(401));
  });

  it('refuses a malformed authorization header as UNAUTHORIZED', async () => {
    const valid = await tokenFor(['affiliate_admin']);
    expect(await statusesWith(`Basic ${Buffer.from('admin:admin').toString('base64')}`)).toEqual(all(401));
    expect(await statusesWith('Bearer')).toEqual(all(401));
    expect(await statusesWith(`Bearer ${valid} extra`)).toEqual(all(401));
  });

  it('refuses a garbage token as UNAUTHORIZED', async () => {
    expect(await statusesWith('Bearer not.a.jwt')).toEqual(all(401));
    expect(await statusesWith('Bearer ' + 'x'.repeat(300))).toEqual(all(401));
  });

  it('refuses an expired token as UNAUTHORIZED', async () => {
    expect(await statusesWith(`Bearer ${await tokenFor(['affiliate_admin'], { ttlSeconds: -60 })}`)).toEqual(all(401));
  });

  it('refuses a token signed with another secret as UNAUTHORIZED', async () => {
    const forged = await tokenFor(['affiliate_admin'], { secret: `${TEST_JWT_SECRET}-but-not-quite` });
    expect(await statusesWith(`Bearer ${forged}`)).toEqual(all(401));
  });

  it('refuses a token without the roles claim as UNAUTHORIZED', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('someone')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(await statusesWith(`Bearer ${token}`)).toEqual(all(401));
  });

  it('refuses a valid token whose roles are all unknown as FORBIDDEN', async () => {
    expect(await statusesWith(`Bearer ${await tokenFor(['superuser', 'root'])}`)).toEqual(all(403));
    expect(await statusesWith(`Bearer ${await tokenFor([])}`)).toEqual(all(403));
  });
});
