import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  paymentBatchRequest,
  TIPALTI_PATHS,
  type PaymentBatchResponse,
  type PaymentInstruction,
  type TipaltiPayment,
} from './tipalti-wire.js';

/**
 * A local HTTP server that speaks the slice of Tipalti's payment API in `tipalti-wire.ts`, for development (the
 * service starts one when TIPALTI_BASE_URL is not set) and tests. Like Tipalti it pays a refCode at most once.
 * Tests script failures: an HTTP error status, or no answer at all (with or without the payments being made).
 */

export type FakeRoute = 'token' | 'batches' | 'payments';

type Scripted = { kind: 'status'; status: number } | { kind: 'hang'; process: boolean };

export interface FakeTipaltiOptions {
  host?: string;
  port?: number;
  /** Credentials it accepts; with none configured it accepts any bearer token. */
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
  /** Do not keep the process alive (the service's development mode). */
  detached?: boolean;
}

export interface FakeTipalti {
  url: string;
  /** The payments it holds: one per refCode. */
  payments(): TipaltiPayment[];
  /** Every instruction of every batch request it read, repeats and rejected ones included. */
  instructions(): PaymentInstruction[];
  /** The next `count` requests to `route` answer `status` and change nothing. */
  failNext(route: FakeRoute, status: number, count?: number): void;
  /** The next `count` requests to `route` never get an answer; `process: true` makes the payments first. */
  hangNext(route: FakeRoute, options: { process: boolean }, count?: number): void;
  /** Instructions for this payee are rejected (the payee is not payable). */
  rejectPayee(payeeId: string, code?: string, message?: string): void;
  /** Undoes `rejectPayee`: the payee completed onboarding. */
  acceptPayee(payeeId: string): void;
  /** manual: new payments stay Submitted until `settle`; immediate (the default): they are Paid at once. */
  setSettlement(mode: 'immediate' | 'manual'): void;
  settle(refCode: string, status: 'Paid' | 'Failed', failureReason?: string): void;
  /** Forgets issued OAuth tokens, so the next API call answers 401 until a new token is fetched. */
  revokeTokens(): void;
  close(): Promise<void>;
}

const ROUTES: Record<string, FakeRoute> = {
  [`POST ${TIPALTI_PATHS.token}`]: 'token',
  [`POST ${TIPALTI_PATHS.paymentBatches}`]: 'batches',
  [`GET ${TIPALTI_PATHS.payments}`]: 'payments',
};

export async function startFakeTipalti(options: FakeTipaltiOptions = {}): Promise<FakeTipalti> {
  const payments = new Map<string, TipaltiPayment>();
  const received: PaymentInstruction[] = [];
  const script = new Map<FakeRoute, Scripted[]>();
  const rejectedPayees = new Map<string, { code: string; message: string }>();
  const tokens = new Set<string>();
  let settlement: 'immediate' | 'manual' = 'immediate';
  let sequence = 0;
  const nextId = (prefix: string) => `${prefix}_${++sequence}`;

  const enqueue = (route: FakeRoute, action: Scripted, count: number) => {
    const queue = script.get(route) ?? [];
    for (let index = 0; index < count; index++) queue.push(action);
    script.set(route, queue);
  };

  const authorized = (request: IncomingMessage) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer) return false;
    if (!options.apiKey && !options.clientId) return true;
    return bearer === options.apiKey || tokens.has(bearer);
  };

  const issueToken = (form: URLSearchParams, response: ServerResponse) => {
    const valid =
      form.get('grant_type') === 'client_credentials' &&
      form.get('client_id') === options.clientId &&
      form.get('client_secret') === options.clientSecret;
    if (!valid) return send(response, 401, { error: { code: 'invalid_client', message: 'unknown client or wrong secret' } });
    const token = randomBytes(16).toString('hex');
    tokens.add(token);
    return send(response, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
  };

  const createBatch = (body: unknown, response: ServerResponse | null) => {
    const parsed = paymentBatchRequest.safeParse(body);
    if (!parsed.success) {
      return response && send(response, 400, { error: { code: 'invalid_request', message: parsed.error.message } });
    }
    received.push(...parsed.data.paymentInstructions);
    const batchId = nextId('batch');
    const answers: PaymentBatchResponse['paymentInstructions'] = parsed.data.paymentInstructions.map((instruction) => {
      const existing = payments.get(instruction.refCode);
      if (existing) return { refCode: instruction.refCode, status: 'Duplicate', payment: existing };
      const rejection = rejectedPayees.get(instruction.payeeId);
      if (rejection) return { refCode: instruction.refCode, status: 'Rejected', error: rejection };
      const payment: TipaltiPayment = {
        id: nextId('payment'),
        refCode: instruction.refCode,
        payeeId: instruction.payeeId,
        paymentBatchId: batchId,
        amountSubmitted: instruction.amountSubmitted,
        status: settlement === 'immediate' ? 'Paid' : 'Submitted',
        failureReason: null,
      };
      payments.set(payment.refCode, payment);
      return { refCode: instruction.refCode, status: 'Accepted', payment };
    });
    return response && send(response, 201, { id: batchId, paymentInstructions: answers } satisfies PaymentBatchResponse);
  };

  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const url = new URL(request.url ?? '/', 'http://fake-tipalti');
      const route = ROUTES[`${request.method} ${url.pathname}`];
      if (!route) return send(response, 404, { error: { code: 'not_found', message: `${request.method} ${url.pathname}` } });
      if (route === 'token') {
        const scripted = script.get(route)?.shift();
        if (scripted?.kind === 'status') return send(response, scripted.status, { error: { code: 'scripted', message: 'scripted failure' } });
        if (scripted?.kind === 'hang') return;
        return issueToken(new URLSearchParams(raw), response);
      }
      if (!authorized(request)) return send(response, 401, { error: { code: 'unauthorized', message: 'missing or invalid bearer token' } });
      const scripted = script.get(route)?.shift();
      if (scripted?.kind === 'status') {
        return send(response, scripted.status, { error: { code: 'scripted', message: `scripted HTTP ${scripted.status}` } });
      }
      const body = route === 'batches' ? parseJson(raw) : undefined;
      if (scripted?.kind === 'hang') {
        if (scripted.process && route === 'batches') createBatch(body, null);
        return;
      }
      if (route === 'batches') return createBatch(body, response);
      const refCodes = new Set(url.searchParams.getAll('refCode'));
      return send(response, 200, { items: [...payments.values()].filter((payment) => refCodes.has(payment.refCode)) });
    }, () => response.destroy());
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  if (options.detached) server.unref();
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    payments: () => [...payments.values()].map((payment) => ({ ...payment })),
    instructions: () => [...received],
    failNext: (route, status, count = 1) => enqueue(route, { kind: 'status', status }, count),
    hangNext: (route, { process }, count = 1) => enqueue(route, { kind: 'hang', process }, count),
    rejectPayee: (payeeId, code = 'PayeeNotPayable', message = 'the payee cannot be paid yet') => {
      rejectedPayees.set(payeeId, { code, message });
    },
    acceptPayee: (payeeId) => {
      rejectedPayees.delete(payeeId);
    },
    setSettlement: (mode) => {
      settlement = mode;
    },
    settle: (refCode, status, failureReason) => {
      const payment = payments.get(refCode);
      if (!payment) throw new Error(`fake Tipalti holds no payment ${refCode}`);
      payments.set(refCode, { ...payment, status, failureReason: failureReason ?? null });
    },
    revokeTokens: () => tokens.clear(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
