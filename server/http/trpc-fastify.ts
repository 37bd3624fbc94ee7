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

  return async function handleTRPC(request: FastifyRequest, reply: FastifyReply): Promise<string | FastifyReply> {
    // Fastify answers HEAD with the GET route; tRPC answers it with an empty 204 (used to warm up lambdas).
    if (request.method === 'HEAD') return reply.code(204).send();
    // Procedures get a signal that aborts when the client goes away before the answer is sent.
    const aborter = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborter.abort();
    });

    let info: TRPCRequestInfo | undefined;
    let ctx: unknown;
    const reportError = (error: TRPCError, call: Call | undefined, type: TRPCProcedureType | 'unknown') =>
      opts.onError?.({ error, path: call?.path, input: call?.result(), ctx, type, req: request });
    const errorShape = (error: TRPCError, call: Call | undefined, type: TRPCProcedureType | 'unknown') =>
      getTRPCErrorShape({ config, error, type, path: call?.path, input: call?.result(), ctx });

    try {
      info = await readRequestInfo(opts.router, request, aborter.signal);
      let contextError: TRPCError | undefined;
      try {
        ctx = await opts.createContext?.({ req: request, res: reply, info });
      } catch (cause) {
        contextError = getTRPCErrorFromUnknown(cause);
      }

      const results = await Promise.all(
        info.calls.map(async (call): Promise<CallResult> => {
          const procedure = call.procedure as AnyTRPCProcedure | null;
          try {
            if (!procedure) throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${call.path}"` });
            checkMethod(procedure, call.path, request.method, reply);
            if (contextError) throw contextError;
            const data: unknown = await procedure({
              path: call.path,
              getRawInput: call.getRawInput,
              ctx,
              type: procedure._def.type,
              signal: aborter.signal,
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
            reportError(error, call, procedure?._def.type ?? 'unknown');
            return { error };
          }
        }),
      );

      const responses = results.map((result, index): TRPCResponse => {
        if (!result.error) return { result: { data: result.data } };
        const call = info!.calls[index]!;
        return { error: errorShape(result.error, call, call.procedure?._def.type ?? 'unknown') };
      });
      const body = JSON.stringify(transformTRPCResponse(config, info.isBatchCall ? responses : responses[0]!));
      return respond(reply, getHTTPStatusCode(responses, results.map((result) => result.error)), body);
    } catch (cause) {
      // The request as a whole failed: unreadable path or content type, mixed procedure types, or an answer that
      // could not be serialized. tRPC answers these with one error, even for a batch.
      const error = getTRPCErrorFromUnknown(cause);
      const type = info?.type ?? 'unknown';
      reportError(error, undefined, type);
      const response: TRPCResponse = { error: errorShape(error, undefined, type) };
      return respond(reply, getHTTPStatusCode(response, [error]), JSON.stringify(transformTRPCResponse(config, response)));
    }
  };
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
  const inputs = lazyInputs(request, isBatchCall, paths.length, config.transformer.input.deserialize);

  const calls = await Promise.all(
    paths.map(async (path, index): Promise<Call> => ({
      batchIndex: index,
      path,
      procedure: await getProcedureAtPath(router, path),
      getRawInput: async () => inputs.read()[index],
      result: () => inputs.readIfDone()?.[index],
    })),
  );
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
function lazyInputs(
  request: FastifyRequest,
  isBatchCall: boolean,
  count: number,
  deserialize: (input: unknown) => unknown,
) {
  let outcome: { inputs: Record<number, unknown> } | { error: TRPCError } | undefined;
  const parse = (): Record<number, unknown> => {
    const text = request.method === 'GET' ? first((request.query as Record<string, string | string[]>).input) : request.body;
    const inputs: Record<number, unknown> = Object.create(null);
    if (typeof text !== 'string' || text === '') return inputs;
    const raw: unknown = JSON.parse(text);
    if (!isBatchCall) {
      inputs[0] = deserialize(raw);
      return inputs;
    }
    if (!isPlainObjectLike(raw)) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
    }
    for (let index = 0; index < count; index++) {
      const input = raw[index];
      if (input !== undefined) inputs[index] = deserialize(input);
    }
    return inputs;
  };
  return {
    read(): Record<number, unknown> {
      if (!outcome) {
        try {
          outcome = { inputs: parse() };
        } catch (cause) {
          const error =
            cause instanceof TRPCError
              ? cause
              : new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause });
          outcome = { error };
        }
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.inputs;
    },
    readIfDone(): Record<number, unknown> | undefined {
      return outcome && 'inputs' in outcome ? outcome.inputs : undefined;
    },
  };
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
