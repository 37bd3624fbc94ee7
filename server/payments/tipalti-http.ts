import { errorResponse, TIPALTI_PATHS, tokenResponse } from './tipalti-wire.js';

export interface TipaltiSettings {
  baseUrl: string;
  /** A static bearer key; otherwise clientId + clientSecret fetch OAuth tokens (client credentials). */
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
  tokenUrl?: string;
  payerName: string;
  timeoutMs: number;
}

/**
 * ok: a 2xx with a JSON body. refused: the processor certainly did not act on the request (a 4xx, or no token to
 * send it with). no_answer: it may have acted (timeout, network error, 5xx, an unreadable 2xx).
 */
export type HttpResult =
  | { kind: 'ok'; body: unknown }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'no_answer'; code: string; message: string };

/** Renew a token this long before Tipalti says it expires. */
const TOKEN_MARGIN_MS = 60_000;

/** HTTP to Tipalti with a timeout on every call and the bearer token attached (renewed once on a 401). */
export class TipaltiHttp {
  private token: { value: string; expiresAt: number } | undefined;

  constructor(private readonly settings: TipaltiSettings) {}

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResult> {
    const first = await this.callOnce(method, path, body);
    if (first.kind === 'refused' && first.code === 'http_401' && this.usesClientCredentials()) {
      this.token = undefined;
      return this.callOnce(method, path, body);
    }
    return first;
  }

  private async callOnce(method: 'GET' | 'POST', path: string, body: unknown): Promise<HttpResult> {
    const bearer = await this.bearer();
    if (typeof bearer !== 'string') return bearer;
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.fetchJson(this.url(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Paths append to the base URL, so a base with a path prefix keeps it. */
  private url(path: string): URL {
    return new URL(`${this.settings.baseUrl.replace(/\/+$/, '')}${path}`);
  }

  private usesClientCredentials(): boolean {
    return !this.settings.apiKey && Boolean(this.settings.clientId && this.settings.clientSecret);
  }

  private async bearer(): Promise<string | HttpResult> {
    if (this.settings.apiKey) return this.settings.apiKey;
    if (!this.usesClientCredentials()) return { kind: 'refused', code: 'not_configured', message: 'no Tipalti credentials are configured' };
    if (this.token && this.token.expiresAt > Date.now()) return this.token.value;
    const result = await this.fetchJson(this.settings.tokenUrl ? new URL(this.settings.tokenUrl) : this.url(TIPALTI_PATHS.token), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.settings.clientId!,
        client_secret: this.settings.clientSecret!,
      }).toString(),
    });
    const parsed = result.kind === 'ok' ? tokenResponse.safeParse(result.body) : undefined;
    if (!parsed?.success) {
      // Without a token nothing reaches the payment API, so whatever went wrong, no payment was made.
      const reason = result.kind === 'ok' ? 'an unreadable token response' : `${result.code}: ${result.message}`;
      return { kind: 'refused', code: 'auth_failed', message: `Tipalti token request failed (${reason})` };
    }
    const { access_token, expires_in } = parsed.data;
    this.token = { value: access_token, expiresAt: Date.now() + Math.max(expires_in * 1000 - TOKEN_MARGIN_MS, 0) };
    return access_token;
  }

  private async fetchJson(url: URL, init: RequestInit): Promise<HttpResult> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.settings.timeoutMs) });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return timedOut
        ? { kind: 'no_answer', code: 'timeout', message: `no answer within ${this.settings.timeoutMs} ms` }
        : { kind: 'no_answer', code: 'network_error', message: error instanceof Error ? error.message : String(error) };
    }
    const body = parseJson(text);
    if (response.ok) {
      return body === undefined
        ? { kind: 'no_answer', code: 'invalid_response', message: `HTTP ${response.status} without a JSON body` }
        : { kind: 'ok', body };
    }
    const described = errorResponse.safeParse(body);
    const message = described.success ? `${described.data.error.code}: ${described.data.error.message}` : text.slice(0, 500) || response.statusText;
    const code = `http_${response.status}`;
    return response.status >= 500 ? { kind: 'no_answer', code, message } : { kind: 'refused', code, message };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
