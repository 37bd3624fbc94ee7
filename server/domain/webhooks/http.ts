import http from 'node:http';
import https from 'node:https';
import { isPrivateHostLiteral, publicOnlyLookup } from './targets.js';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** Posts one delivery; resolves with the HTTP status (any), rejects on network errors and timeouts. */
export type WebhookPoster = (request: WebhookRequest) => Promise<{ status: number }>;

/**
 * POSTs with node:http so the connection's DNS lookup can refuse private addresses (a public name may resolve to
 * an internal one later). Redirects are not followed: a 3xx counts as a failure, so a redirect cannot reach inside.
 */
export function createWebhookPoster(options: { allowPrivateTargets: boolean; timeoutMs?: number }): WebhookPoster {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (request) =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      if (!options.allowPrivateTargets && isPrivateHostLiteral(url)) {
        reject(new Error(`${url.hostname} is a private address`));
        return;
      }
      const send = url.protocol === 'https:' ? https.request : http.request;
      const outgoing = send(
        url,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
          lookup: options.allowPrivateTargets ? undefined : publicOnlyLookup,
          timeout: timeoutMs,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no response within ${timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
}
