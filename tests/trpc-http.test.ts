import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import { initTRPC, TRPCError } from '@trpc/server';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { z } from 'zod';
import { fastTRPCPlugin, type FastTRPCHandlerOptions } from '../server/http/trpc-fastify.js';
import type { AppRouter } from '../server/index.js';
import { tokenFor } from './helpers/auth.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const servers = {
  fast: await startTestServer(database, { TRPC_ADAPTER: 'fast', SCHEDULER_ENABLED: 'false' }),
  stock: await startTestServer(database, { TRPC_ADAPTER: 'stock', SCHEDULER_ENABLED: 'false' }),
};
const adminToken = await tokenFor(['affiliate_admin'], { sub: 'admin-for-http-tests' });
const managerToken = await tokenFor(['partner_manager'], { sub: 'manager-for-http-tests' });

const links = { httpLink, httpBatchLink } as const;
type LinkName = keyof typeof links;

function clientFor(baseUrl: string, link: LinkName, token: string | null = null) {
  return createTRPCClient<AppRouter>({
    links: [links[link]({ url: `${baseUrl}/trpc`, transformer: superjson, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

interface RawRequest {
  method?: 'GET' | 'POST' | 'HEAD';
  /** Path and query below /trpc/. */
  path: string;
  token?: string;
  contentType?: string;
  body?: string;
}

interface RawResponse {
  status: number;
  body: string;
  contentType: string | null;
  allow: string | null;
}

async function send(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.contentType) headers['content-type'] = request.contentType;
  const response = await fetch(`${baseUrl}/trpc/${request.path}`, { method: request.method ?? 'GET', headers, body: request.body });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type'),
    allow: response.headers.get('allow'),
  };
}

const json = (value: unknown) => encodeURIComponent(JSON.stringify(value));
/** How superjson puts a plain JSON value on the wire (inputs, results and errors alike): no `meta` is needed. */
const wire = (value: unknown) => ({ json: value });
/** A procedure input in the app's wire format, ready for a query string. */
const input = (value: unknown) => json(wire(value));
/** A batch of inputs by call index, each in the app's wire format. */
const batchInput = (inputs: Record<number, unknown>) => json(Object.fromEntries(Object.entries(inputs).map(([index, value]) => [index, wire(value)])));
/** A mutation body in the app's wire format. */
const body = (value: unknown) => JSON.stringify(wire(value));
type WireError = { error: { json: { message: string; data: Record<string, unknown> } } };
const errorOf = (response: RawResponse) => (JSON.parse(response.body) as WireError).error.json;

async function rejection(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await promise.then(
    () => expect.fail('the call succeeded'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

describe.each(Object.keys(servers) as (keyof typeof servers)[])('the %s adapter', (adapter) => {
  const server = servers[adapter];

  describe.each(Object.keys(links) as LinkName[])('through %s', (link) => {
    it('answers queries and mutations with their data', async () => {
      const anonymous = clientFor(server.url, link);
      const admin = clientFor(server.url, link, adminToken);
      expect(await anonymous.system.ping.query()).toMatchObject({ ok: true });
      expect(await admin.users.me.query()).toEqual({ userId: 'admin-for-http-tests', roles: ['affiliate_admin'], user: null });

      const email = `${adapter}-${link}@example.com`.toLowerCase();
      const created = await admin.users.create.mutate({ email, name: 'Link Tester', roles: ['program_manager'] });
      expect(created).toMatchObject({ email, name: 'Link Tester', roles: ['program_manager'], active: true });
      const listed = await admin.users.list.query({ search: email, limit: 10 });
      expect(listed.items.map((user) => user.id)).toEqual([created.id]);
      const updated = await admin.users.update.mutate({ id: created.id, active: false });
      expect(updated).toMatchObject({ id: created.id, active: false });
    });

    it('answers invalid input with BAD_REQUEST naming the field', async () => {
      const admin = clientFor(server.url, link, adminToken);
      const error = await rejection(admin.users.create.mutate({ email: 'not-an-email', name: 'X', roles: ['program_manager'] }));
      expect(error.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, path: 'users.create' });
      expect(error.data).toHaveProperty('fieldErrors.email');
      expect(error.message).toMatch(/^Invalid input: email:/);
      expect(error.meta?.response).toMatchObject({ status: 400 });
    });

    it('answers a missing token with 401 and a role without the right with 403', async () => {
      const unauthorized = await rejection(clientFor(server.url, link).users.me.query());
      expect(unauthorized.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
      expect(unauthorized.meta?.response).toMatchObject({ status: 401 });

      const manager = clientFor(server.url, link, managerToken);
      const forbidden = await rejection(manager.users.create.mutate({ email: 'nope@example.com', name: 'N', roles: ['program_manager'] }));
      expect(forbidden.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
      expect(forbidden.meta?.response).toMatchObject({ status: 403 });
    });

    it('answers an unknown record with NOT_FOUND', async () => {
      const admin = clientFor(server.url, link, adminToken);
      const error = await rejection(admin.users.update.mutate({ id: '00000000-0000-4000-8000-000000000000', name: 'Nobody' }));
      expect(error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    });
  });

  it('batches calls made in the same tick into one request, each with its own result', async () => {
    const requested: string[] = [];
    const anonymous = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${server.url}/trpc`,
          transformer: superjson,
          fetch: (url, init) => {
            requested.push(String(url));
            return fetch(url, init);
          },
        }),
      ],
    });
    const [ping, me] = await Promise.allSettled([anonymous.system.ping.query(), anonymous.users.me.query()]);
    const noInput = superjson.serialize(undefined);
    expect(requested).toEqual([`${server.url}/trpc/system.ping,users.me?batch=1&input=${json({ 0: noInput, 1: noInput })}`]);
    expect(ping).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    expect(me).toMatchObject({ status: 'rejected', reason: { data: { code: 'UNAUTHORIZED', httpStatus: 401 } } });
  });

  it('answers a batch with mixed outcomes with 207 and one entry per call', async () => {
    const response = await send(server.url, { path: `users.me,system.ping,users.list?batch=1&input=${batchInput({ 2: { limit: 0 } })}` });
    expect(response.status).toBe(207);
    const entries = JSON.parse(response.body) as Array<{ result?: { data: { json: unknown } }; error?: { json: { data: { code: string; path: string } } } }>;
    expect(entries).toHaveLength(3);
    expect(entries[0]?.error?.json.data).toMatchObject({ code: 'UNAUTHORIZED', path: 'users.me' });
    expect(entries[1]?.result?.data.json).toMatchObject({ ok: true });
    expect(entries[2]?.error?.json.data).toMatchObject({ code: 'UNAUTHORIZED', path: 'users.list' });
  });

  it('answers a batch whose calls all fail alike with their common status', async () => {
    const response = await send(server.url, { path: 'users.me,users.me?batch=1' });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toHaveLength(2);
  });

  it('answers an unknown procedure with NOT_FOUND', async () => {
    const response = await send(server.url, { path: 'nothing.here' });
    expect(response.status).toBe(404);
    expect(errorOf(response)).toMatchObject({ message: 'No procedure found on path "nothing.here"', data: { code: 'NOT_FOUND' } });
  });

  it('refuses a query sent as POST and a mutation sent as GET with 405 and the accepted method', async () => {
    const queryByPost = await send(server.url, { method: 'POST', path: 'system.ping', contentType: 'application/json' });
    expect(queryByPost).toMatchObject({ status: 405, allow: 'GET' });
    expect(errorOf(queryByPost).data).toMatchObject({ code: 'METHOD_NOT_SUPPORTED' });

    const mutationByGet = await send(server.url, { path: `users.create?input=${input({ email: 'a@b.co', name: 'A', roles: ['program_manager'] })}`, token: adminToken });
    expect(mutationByGet).toMatchObject({ status: 405, allow: 'POST' });
    const list = await send(server.url, { path: `users.list?input=${input({ search: 'a@b.co' })}`, token: adminToken });
    expect(JSON.parse(list.body)).toEqual({ result: { data: wire({ items: [], nextCursor: null }) } });
  });

  it('answers malformed JSON input with BAD_REQUEST, only for procedures that read input', async () => {
    const query = await send(server.url, { path: 'users.list?input=%7Bnot-json', token: adminToken });
    expect(query.status).toBe(400);
    expect(errorOf(query).data).toMatchObject({ code: 'BAD_REQUEST', path: 'users.list' });

    const mutation = await send(server.url, { method: 'POST', path: 'users.create', token: adminToken, contentType: 'application/json', body: '{"email":' });
    expect(mutation.status).toBe(400);
    expect(errorOf(mutation).data).toMatchObject({ code: 'BAD_REQUEST', path: 'users.create' });

    const inputless = await send(server.url, { path: 'system.ping?input=%7Bnot-json' });
    expect(inputless.status).toBe(200);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await send(server.url, { method: 'POST', path: 'users.create', token: adminToken, contentType: 'text/plain', body: '{}' });
    expect(response.status).toBe(415);
    expect(errorOf(response).data).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses a body above the configured limit with 413', async () => {
    const big = body({ email: 'big@example.com', name: 'x'.repeat(6 * 1024 * 1024), roles: ['program_manager'] });
    const response = await send(server.url, { method: 'POST', path: 'users.create', token: adminToken, contentType: 'application/json', body: big });
    expect(response.status).toBe(413);
  });
});

describe('the fast adapter answers exactly as the stock one', () => {
  const requests: Record<string, RawRequest> = {
    'a query with input': { path: `users.me`, token: adminToken },
    'a query without a token': { path: 'users.me' },
    'a query with a malformed token header': { path: 'users.me', token: 'not a jwt' },
    'a token with a bad signature': { path: 'users.me', token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' },
    'a list with input': { path: `users.list?input=${input({ limit: 5 })}`, token: adminToken },
    'a list with a bad limit': { path: `users.list?input=${input({ limit: -1 })}`, token: adminToken },
    'a list with a non-uuid cursor': { path: `users.list?input=${input({ cursor: 'abc' })}`, token: adminToken },
    'an input not in the wire format': { path: `users.list?input=${json({ limit: -1 })}`, token: adminToken },
    'malformed JSON in the query string': { path: 'users.list?input=%7Bnot-json', token: adminToken },
    'an empty input parameter': { path: 'users.list?input=', token: adminToken },
    'an unknown procedure': { path: 'nothing.here' },
    'a router instead of a procedure': { path: 'users' },
    'an object prototype key as path': { path: 'constructor,__proto__?batch=1' },
    'a malformed escape in the path': { path: 'users.me%25E0%25A4%25A' },
    'a query sent as POST': { method: 'POST', path: 'users.list', token: adminToken, contentType: 'application/json', body: body({}) },
    'a mutation sent as GET': { path: `users.create?input=${input({ email: 'x@example.com', name: 'X', roles: ['program_manager'] })}`, token: adminToken },
    'a mutation with invalid input': { method: 'POST', path: 'users.create', token: adminToken, contentType: 'application/json', body: body({ email: 'bad', name: '', roles: [] }) },
    'a mutation on a missing row': { method: 'POST', path: 'users.update', token: adminToken, contentType: 'application/json', body: body({ id: '00000000-0000-4000-8000-000000000001', name: 'Y' }) },
    'a mutation without a body': { method: 'POST', path: 'users.update', token: adminToken, contentType: 'application/json' },
    'a mutation with malformed JSON': { method: 'POST', path: 'users.update', token: adminToken, contentType: 'application/json', body: '{"id":' },
    'a mutation denied to the role': { method: 'POST', path: 'users.update', token: managerToken, contentType: 'application/json', body: body({ id: '00000000-0000-4000-8000-000000000001' }) },
    'a mutation with a charset in the content type': { method: 'POST', path: 'users.update', token: adminToken, contentType: 'Application/JSON; charset=utf-8', body: body({}) },
    'a mutation as text/plain': { method: 'POST', path: 'users.update', token: adminToken, contentType: 'text/plain', body: body({}) },
    'a mutation without a content type': { method: 'POST', path: 'users.update', token: adminToken },
    'a GET with a form-data content type': { path: 'users.me', token: adminToken, contentType: 'multipart/form-data; boundary=x' },
    'a batch with mixed results': { path: `users.me,nothing.here,users.list?batch=1&input=${batchInput({ 2: { limit: 1 } })}`, token: managerToken },
    'a batch with the same error': { path: 'users.me,users.list?batch=1' },
    'a batch of successes': { path: `users.me,users.list?batch=1&input=${batchInput({ 1: { limit: 2 } })}`, token: adminToken },
    'a batch with array input': { path: `users.list,users.list?batch=1&input=${json([wire({ limit: 1 }), wire({ limit: 2 })])}`, token: adminToken },
    'a batch with malformed JSON': { path: 'users.list,users.me?batch=1&input=%7B', token: adminToken },
    'a batch mixing queries and mutations': { path: 'users.me,users.create?batch=1', token: adminToken },
    'a mutation batch': { method: 'POST', path: 'users.update,users.create?batch=1', token: adminToken, contentType: 'application/json', body: JSON.stringify({ 0: wire({ id: 'nope' }), 1: wire({ email: 'bad' }) }) },
    'a batch path without the batch flag': { path: 'users.me,users.list', token: adminToken },
    'a HEAD request': { method: 'HEAD', path: 'users.me' },
    'a body above the limit': { method: 'POST', path: 'users.update', token: adminToken, contentType: 'application/json', body: `"${'x'.repeat(6 * 1024 * 1024)}"` },
  };

  it.each(Object.keys(requests))('for %s', async (name) => {
    const request = requests[name]!;
    const [fast, stock] = await Promise.all([send(servers.fast.url, request), send(servers.stock.url, request)]);
    expect(fast.body).toBe(stock.body);
    expect(fast.status).toBe(stock.status);
    expect(fast.allow).toBe(stock.allow);
    // One deliberate difference: the stock adapter labels request-level errors (unreadable path or content type,
    // mixed procedure types) text/plain, a side effect of building a WHATWG Response from a string.
    const mediaType = (response: RawResponse) => response.contentType?.split(';')[0];
    expect(mediaType(fast)).toBe(request.method === 'HEAD' || fast.status === 413 ? mediaType(stock) : 'application/json');
  });
});

// A router of the test's own: a transformer of its own (not superjson, so its wire format is visible), a context that can fail, an error listener.
const transformer = {
  serialize: (value: unknown) => ({ wrapped: value }),
  deserialize: (value: unknown) => (value as { wrapped: unknown }).wrapped,
};
// isDev off: a development error shape carries a stack trace, whose frames name each adapter's internals.
const t = initTRPC.context<{ caller: string }>().create({ transformer, isDev: false });
const testRouter = t.router({
  echo: t.procedure.input(z.object({ text: z.string() })).query(({ input, ctx }) => ({ echoed: input.text, caller: ctx.caller })),
  rename: t.procedure.input(z.object({ to: z.string().min(2) })).mutation(({ input }) => ({ renamed: input.to })),
  crash: t.procedure.query(() => {
    throw new Error('database on fire');
  }),
  teapot: t.procedure.query(() => {
    throw new TRPCError({ code: 'CONFLICT', message: 'already brewing' });
  }),
});
type TestRouter = typeof testRouter;

async function serve(plugin: 'fast' | 'stock') {
  const errors: { code: string; path: string | undefined; type: string; input: unknown; caller: string | undefined }[] = [];
  const app: FastifyInstance = Fastify({ routerOptions: { maxParamLength: 5000 } });
  const trpcOptions: FastTRPCHandlerOptions<TestRouter> = {
    router: testRouter,
    createContext: ({ req }) => {
      if (req.headers['x-break-context']) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'context refused' });
      return { caller: String(req.headers['x-caller'] ?? 'anonymous') };
    },
    onError: ({ error, path, type, input, ctx }) => errors.push({ code: error.code, path, type, input, caller: ctx?.caller }),
  };
  if (plugin === 'fast') await app.register(fastTRPCPlugin<TestRouter>, { prefix: '/trpc', trpcOptions });
  else await app.register(fastifyTRPCPlugin<TestRouter>, { prefix: '/trpc', trpcOptions });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  return { url, errors };
}
const apps = { fast: await serve('fast'), stock: await serve('stock') };

describe('a router with a transformer, a failing context and an error listener', () => {
  function testClient(url: string, link: LinkName, headers: Record<string, string> = {}) {
    return createTRPCClient<TestRouter>({ links: [links[link]({ url: `${url}/trpc`, transformer, headers })] });
  }

  it.each(['httpLink', 'httpBatchLink'] as const)('round-trips inputs and outputs through the transformer (%s)', async (link) => {
    const client = testClient(apps.fast.url, link, { 'x-caller': 'tester' });
    expect(await client.echo.query({ text: 'hi' })).toEqual({ echoed: 'hi', caller: 'tester' });
    expect(await client.rename.mutate({ to: 'new name' })).toEqual({ renamed: 'new name' });
    const raw = await send(apps.fast.url, { path: `echo?input=${json({ wrapped: { text: 'raw' } })}` });
    expect(JSON.parse(raw.body)).toEqual({ result: { data: { wrapped: { echoed: 'raw', caller: 'anonymous' } } } });
  });

  it('reports each failed call to onError with its path, type, input and context, like the stock adapter', async () => {
    const requests: RawRequest[] = [
      { path: 'crash' },
      { path: `teapot,echo?batch=1&input=${json({ 1: { wrapped: { text: 'b' } } })}` },
      { method: 'POST', path: 'rename', contentType: 'application/json', body: JSON.stringify({ wrapped: { to: 'x' } }) },
      { path: 'missing' },
      { path: 'echo,rename?batch=1' },
    ];
    apps.fast.errors.length = 0;
    apps.stock.errors.length = 0;
    for (const request of requests) {
      const [fast, stock] = await Promise.all([send(apps.fast.url, request), send(apps.stock.url, request)]);
      expect(fast.body).toBe(stock.body);
      expect(fast.status).toBe(stock.status);
    }
    expect(apps.fast.errors).toEqual(apps.stock.errors);
    expect(apps.fast.errors).toEqual([
      { code: 'INTERNAL_SERVER_ERROR', path: 'crash', type: 'query', input: undefined, caller: 'anonymous' },
      { code: 'CONFLICT', path: 'teapot', type: 'query', input: undefined, caller: 'anonymous' },
      { code: 'BAD_REQUEST', path: 'rename', type: 'mutation', input: { to: 'x' }, caller: 'anonymous' },
      { code: 'NOT_FOUND', path: 'missing', type: 'unknown', input: undefined, caller: 'anonymous' },
      { code: 'BAD_REQUEST', path: undefined, type: 'unknown', input: undefined, caller: undefined },
    ]);
  });

  it('answers every call of a request whose context cannot be created with that error', async () => {
    const request = { path: `echo,echo?batch=1&input=${json({ 0: { wrapped: { text: 'a' } } })}` };
    const fast = await fetch(`${apps.fast.url}/trpc/${request.path}`, { headers: { 'x-break-context': '1' } });
    const stock = await fetch(`${apps.stock.url}/trpc/${request.path}`, { headers: { 'x-break-context': '1' } });
    const body = await fast.text();
    expect(body).toBe(await stock.text());
    expect(fast.status).toBe(401);
    expect(JSON.parse(body)).toEqual([
      { error: { wrapped: expect.objectContaining({ message: 'context refused', data: expect.objectContaining({ code: 'UNAUTHORIZED', path: 'echo' }) }) } },
      { error: { wrapped: expect.objectContaining({ message: 'context refused' }) } },
    ]);
  });
});

