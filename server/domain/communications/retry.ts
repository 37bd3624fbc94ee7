/** How outbox deliveries (email and webhooks) are retried. */
export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before the second attempt; each further attempt doubles it. */
  baseSeconds: number;
  maxSeconds: number;
}

export const MAX_RETRY_SECONDS = 6 * 60 * 60;

/** Seconds to wait after the `attempts`-th failed attempt: base, 2×base, 4×base, … capped. */
export function backoffSeconds(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.baseSeconds * 2 ** Math.max(0, attempts - 1), policy.maxSeconds);
}

/**
 * A claimed message is leased for this long: its next attempt time moves past the lease, so another worker skips
 * it while it is being sent, and picks it up again only if the sender died.
 */
export const DELIVERY_LEASE_SECONDS = 5 * 60;

/** Runs `work` over `items` with at most `limit` in flight. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
