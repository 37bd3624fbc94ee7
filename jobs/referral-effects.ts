import { applyQueuedEffects } from '../server/domain/referrals/effects.js';
import type { JobDefinition } from './types.js';

/**
 * Applies referral effects still queued: ingestion's own background run applies them within moments of each call,
 * so this finds work only after a failed run, a restart, or calls served by an instance that stopped.
 */
export function referralEffectsJob(every: string): JobDefinition {
  return { name: 'referral-effects', every, run: ({ db }) => applyQueuedEffects(db) };
}
