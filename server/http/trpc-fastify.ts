import {
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  transformTRPCResponse,
  TRPCError,
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
  type TRPCProcedureType,
} from '@trpc/server';
import type { FastifyHandlerOptions } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode, type TRPCRequestInfo } from '@trpc/server/http';
import type { TRPCResponse } from '@trpc/server/rpc';
// The stock adapter's own procedure lookup (it also resolves lazy routers); there is no public equivalent.
import { getProcedureAtPath, urlPathToProcedurePath } from '@trpc/server/unstable-core-do-not-import';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * tRPC's HTTP protocol (queries, mutations, `?batch=1`) served straight from Fastify, for `httpLink` and
 * `httpBatchLink`. The stock adapter turns every request into a WHATWG Request and every answer into a streamed
 * Response; this one reads Fastify's request and sends one string, with the same bodies and status codes.
 * Not served: subscriptions, JSONL streaming (`httpBatchStreamLink`), form-data and octet-stream inputs,
 * `responseMeta`, method override.
 */
export type FastTRPCHandlerOptions<TRouter extends AnyTRPCRouter> = Pick<
  FastifyHandlerOptions<TRouter, FastifyRequest, FastifyReply>,
  'router' | 'createContext' | 'onError'
>;

/** The same option shape as the stock `fastifyTRPCPlugin`, so either can be registered with one object. */
export interface FastTRPCPluginOptions<TRouter extends AnyTRPCRouter> {
  trpcOptions: FastTRPCHandlerOptions<TRouter>;
}

type Call = TRPCRequestInfo['calls'][number];
type CallResult = { error: TRPCError; data?: undefined } | { error?: undefined; data: unknown };

const ACCEPTED_METHOD: Record<TRPCProcedureType, string | undefined> = { query: 'GET', mutation: 'POST', subscription: undefined };

export async function fastTRPCPlugin<TRouter extends AnyTRPCRouter>(
  app: FastifyInstance,
  { trpcOptions }: FastTRPCPluginOptions<TRouter>,
): Promise<void> {
  // As in the stock adapter, the JSON body reaches the handler as text and is parsed only when a procedure reads
  // its input: a malformed body is then that call's BAD_REQUEST in tRPC's envelope, not Fastify's own 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const handler = createTRPCHandler(trpcOptions);
  app.get('/:path', handler);
  app.post('/:path', handler);
}

export function createTRPCHandler<TRouter extends AnyTRPCRouter>(opts: FastTRPCHandlerOptions<TRouter>) {
  const config = opts.router._def._config;
  // Per request this allocates only what the call needs: no closures beyond the abort listener and the inputs'
  // readers (under tsx each function created also gets a name set with defineProperty, ~1–2 µs apiece).
  return async function handleTRPC(request: FastifyRequest, reply: FastifyReply): Promise<string | FastifyReply> {
    // Fastify answers HEAD with the GET route; tRPC answers it with an empty 204 (used to warm up lambdas).
    if (request.method === 'HEAD') return reply.code(204).send();
    // Procedures get a signal that aborts when the client goes away before the answer is sent.
    const aborter = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborter.abort();
    });
    const handling: Handling<TRouter> = { opts, request, reply, signal: aborter.signal, ctx: undefined, contextError: undefined };
    let info: TRPCRequestInfo | undefined;
    try {
      info = await readRequestInfo(opts.router, request, aborter.signal);
      try {
        handling.ctx = await opts.createContext?.({ req: request, res: reply, info });
      } catch (cause) {
        handling.contextError = getTRPCErrorFromUnknown(cause);
      }
      const pending: Promise<CallResult>[] = [];
      for (const call of info.calls) pending.push(runCall(handling, call));
      const results = await Promise.all(pending);
      const responses: TRPCResponse[] = [];
      for (const [index, result] of results.entries()) {
        const call = info.calls[index]!;
        responses.push(
          result.error
            ? { error: errorShape(handling, result.error, call, call.procedure?._def.type ?? 'unknown') }
            : { result: { data: result.data } },
        );
      }
      const body = JSON.stringify(transformTRPCResponse(config, info.isBatchCall ? responses : responses[0]!));
      return respond(reply, getHTTPStatusCode(responses, results.map(errorOf)), body);
    } catch (cause) {
      // The request as a whole failed: unreadable path or content type, mixed procedure types, or an answer that
      // could not be serialized. tRPC answers these with one error, even for a batch.
      const error = getTRPCErrorFromUnknown(cause);
      const type = info?.type ?? 'unknown';
      reportError(handling, error, undefined, type);
      const response: TRPCResponse = { error: errorShape(handling, error, undefined, type) };
      return respond(reply, getHTTPStatusCode(response, [error]), JSON.stringify(transformTRPCResponse(config, response)));
    }
  };
}

/** One request being handled: what its calls share. */
interface Handling<TRouter extends AnyTRPCRouter> {
  opts: FastTRPCHandlerOptions<TRouter>;
  request: FastifyRequest;
  reply: FastifyReply;
  signal: AbortSignal;
  ctx: unknown;
  contextError: TRPCError | undefined;
}

async function runCall<TRouter extends AnyTRPCRouter>(handling: Handling<TRouter>, call: Call): Promise<CallResult> {
  const procedure = call.procedure as AnyTRPCProcedure | null;
  try {
    if (!procedure) throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${call.path}"` });
    checkMethod(procedure, call.path, handling.request.method, handling.reply);
    if (handling.contextError) throw handling.contextError;
    const data: unknown = await procedure({
      path: call.path,
      getRawInput: call.getRawInput,
      ctx: handling.ctx,
      type: procedure._def.type,
      signal: handling.signal,
      batchIndex: call.batchIndex,
    });
    if (isDataStream(data)) {
      throw new TRPCError({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
      });
    }
    return { data };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    reportError(handling, error, call, procedure?._def.type ?? 'unknown');
    return { error };
  }
}

function errorOf(result: CallResult): TRPCError | undefined {
  return result.error;
}

function reportError<TRouter extends AnyTRPCRouter>({ opts, request, ctx }: Handling<TRouter>, error: TRPCError, call: Call | undefined, type: TRPCProcedureType | 'unknown'): void {
  opts.onError?.({ error, path: call?.path, input: call?.result(), ctx, type, req: request });
}

function errorShape<TRouter extends AnyTRPCRouter>({ opts, ctx }: Handling<TRouter>, error: TRPCError, call: Call | undefined, type: TRPCProcedureType | 'unknown') {
  return getTRPCErrorShape({ config: opts.router._def._config, error, type, path: call?.path, input: call?.result(), ctx });
}

/** Sets the status and headers; the handler returns the body, which Fastify sends as it is. */
function respond(reply: FastifyReply, status: number, body: string): string {
  reply.code(status).header('vary', 'trpc-accept, accept').header('content-type', 'application/json');
  return body;
}

function checkMethod(procedure: AnyTRPCProcedure, path: string, method: string, reply: FastifyReply): void {
  const accepted = ACCEPTED_METHOD[procedure._def.type];
  if (method === accepted) return;
  if (accepted) reply.header('allow', accepted);
  throw new TRPCError({
    code: 'METHOD_NOT_SUPPORTED',
    message: accepted
      ? `Unsupported ${method}-request to ${procedure._def.type} procedure at path "${path}"`
      : `Subscriptions are not served over HTTP by this server (path "${path}")`,
  });
}

async function readRequestInfo(router: AnyTRPCRouter, request: FastifyRequest, signal: AbortSignal): Promise<TRPCRequestInfo> {
  checkContentType(request);
  const config = router._def._config;
  const query = request.query as Record<string, string | string[] | undefined>;
  const isBatchCall = first(query.batch) === '1';
  const procedurePath = urlPathToProcedurePath(decodePath((request.params as { path: string }).path), config.pathSeparator);
  const paths = isBatchCall ? procedurePath.split(',') : [procedurePath];
  const inputs = new LazyInputs(request, isBatchCall, paths.length, config.transformer.input.deserialize);
  const calls: Call[] = [];
  for (const [index, path] of paths.entries()) {
    calls.push({
      batchIndex: index,
      path,
      procedure: await getProcedureAtPath(router, path),
      getRawInput: inputs.readAsync.bind(inputs, index),
      result: inputs.readIfDone.bind(inputs, index),
    });
  }
  const types = new Set(calls.flatMap((call) => (call.procedure ? [call.procedure._def.type] : [])));
  if (types.size > 1) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: `Cannot mix procedure types in call: ${[...types].join(', ')}` });
  }
  return {
    isBatchCall,
    accept: null,
    calls,
    type: types.values().next().value ?? 'unknown',
    connectionParams: null,
    signal,
    url: null,
  };
}

/** JSON only, as the stock adapter: a GET may omit the content type (links opened in a browser). */
function checkContentType(request: FastifyRequest): void {
  const header = request.headers['content-type'];
  const type = header?.toLowerCase().split(';', 1)[0]?.trim();
  if (type === 'application/json') return;
  const streamedType = type === 'multipart/form-data' || type === 'application/octet-stream';
  if (request.method === 'GET' && !streamedType) return;
  if (request.method === 'GET') {
    throw new TRPCError({ code: 'METHOD_NOT_SUPPORTED', message: `Only POST requests are supported for ${type} requests` });
  }
  throw new TRPCError({
    code: 'UNSUPPORTED_MEDIA_TYPE',
    // The stock adapter's message, unbalanced quote included, so both answer byte for byte alike.
    message: header ? `Unsupported content-type "${header}` : 'Missing content-type header',
  });
}

/**
 * The calls' inputs, parsed on first read and remembered, failure included: a procedure without input never
 * touches a malformed one, and every call of a batch sees the same parse error.
 */
class LazyInputs {
  private outcome: { inputs: Record<number, unknown> } | { error: TRPCError } | undefined;

  constructor(
    private readonly request: FastifyRequest,
    private readonly isBatchCall: boolean,
    private readonly count: number,
    private readonly deserialize: (input: unknown) => unknown,
  ) {}

  async readAsync(index: number): Promise<unknown> {
    return this.read()[index];
  }

  read(): Record<number, unknown> {
    if (!this.outcome) {
      try {
        this.outcome = { inputs: this.parse() };
      } catch (cause) {
        const error =
          cause instanceof TRPCError
            ? cause
            : new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause });
        this.outcome = { error };
      }
    }
    if ('error' in this.outcome) throw this.outcome.error;
    return this.outcome.inputs;
  }

  readIfDone(index: number): unknown {
    return this.outcome && 'inputs' in this.outcome ? this.outcome.inputs[index] : undefined;
  }

  private parse(): Record<number, unknown> {
    const { request } = this;
    const text = request.method === 'GET' ? first((request.query as Record<string, string | string[]>).input) : request.body;
    const inputs: Record<number, unknown> = Object.create(null);
    if (typeof text !== 'string' || text === '') return inputs;
    const raw: unknown = JSON.parse(text);
    if (!this.isBatchCall) {
      inputs[0] = this.deserialize(raw);
      return inputs;
    }
    if (!isPlainObjectLike(raw)) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
    }
    for (let index = 0; index < this.count; index++) {
      const input = raw[index];
      if (input !== undefined) inputs[index] = this.deserialize(input);
    }
    return inputs;
  }
}

/** Fastify has decoded the path parameter once; tRPC decodes it again, so a literal `%` must be sent as `%2525`. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch (cause) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: `Invalid URL-encoding in path "${path}"`, cause });
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** An answer holding promises or async iterables needs a streaming link; JSON would silently turn them into `{}`. */
function isDataStream(value: unknown): boolean {
  if (!isPlainObjectLike(value)) return false;
  return isAsyncIterable(value) || Object.values(value).some((item) => isPromiseLike(item) || isAsyncIterable(item));
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAsyncIterable(value: unknown): boolean {
  return isPlainObjectLike(value) && Symbol.asyncIterator in value;
}

function isPromiseLike(value: unknown): boolean {
  const candidate = value as { then?: unknown; catch?: unknown } | null;
  return (typeof value === 'object' || typeof value === 'function') && typeof candidate?.then === 'function' && typeof candidate.catch === 'function';
}
