import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-affiliate-ops-signature';
/** How far a signature's timestamp may be from the receiver's clock before the delivery counts as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the value of the x-affiliate-ops-signature header. */
export function signWebhookBody(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: string };

/**
 * What a receiver runs on each delivery, with the raw request body (before any JSON parsing): the signature must
 * match and its timestamp must be within `toleranceSeconds` of now, so a captured request cannot be replayed later.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  header: string | undefined;
  body: string;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): SignatureCheck {
  const fields = new Map(
    (input.header ?? '').split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const timestamp = Number(fields.get('t'));
  const signature = fields.get('v1');
  if (!Number.isInteger(timestamp) || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
    return { valid: false, reason: 'malformed signature header' };
  }
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { valid: false, reason: 'timestamp outside the tolerance window' };
  }
  const expected = Buffer.from(hmac(input.secret, timestamp, input.body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { valid: false, reason: 'signature mismatch' };
  return { valid: true, timestamp };
}
