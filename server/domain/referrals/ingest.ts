import type { Database } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';
import { retryOnDeadlock } from '../shared/deadlock-retry.js';
import { queueEffects } from './effects.js';
import { toEventRows } from './event-rows.js';
import { insertClicks, insertConversions, insertRefunds, type InsertedEvent } from './insert-events.js';
import type { IngestInput } from './schemas.js';

export interface IngestCaller {
  actor: Actor;
  apiKeyId: string;
}

export interface IngestResult {
  received: number;
  /** The events this call stored, in the order they were sent. */
  created: InsertedEvent[];
  /** External ids that were stored before (by an earlier or a concurrent call): nothing about them changed. */
  duplicates: string[];
  /**
   * How many of the created events are attributed and so have effects — ledger entries, fraud rules, rollups,
   * webhooks — which the effects queue applies right after this call (`applyQueuedEffects`).
   */
  effectsQueued: number;
}

/**
 * Stores a batch of referral events and attributes them, in one transaction and set-based: a few statements per
 * batch, none per event. The attributed events' effects are queued in the same transaction and applied after it
 * commits, so the call costs about what storing the events costs. Idempotent per external id, also between
 * concurrent calls: the unique index decides which call stores an event, the other reports it as a duplicate and
 * writes nothing for it.
 */
export function ingestReferrals(db: Database, caller: IngestCaller, input: IngestInput): Promise<IngestResult> {
  // Two batches sharing external ids in a different kind order can deadlock; the loser simply runs again.
  return retryOnDeadlock(() => ingestOnce(db, caller, input));
}

async function ingestOnce(db: Database, caller: IngestCaller, input: IngestInput): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    const rows = await toEventRows(tx, input.events);
    const stored = [
      ...(await insertClicks(tx, rows.filter((row) => row.kind === 'click'), caller.apiKeyId)),
      ...(await insertConversions(tx, rows.filter((row) => row.kind === 'lead' || row.kind === 'sale'), caller.apiKeyId)),
      ...(await insertRefunds(tx, rows.filter((row) => row.kind === 'refund'), caller.apiKeyId)),
    ];
    const attributedIds = stored.filter((event) => event.attributionStatus === 'attributed').map((event) => event.id);
    await queueEffects(tx, caller.actor, attributedIds);

    // Back in the order sent, by each event's position: no comparison sort over 1,000 string lookups.
    const position = new Map(input.events.map((event, index) => [event.externalId, index]));
    const bySent = new Array<InsertedEvent | undefined>(input.events.length);
    for (const event of stored) bySent[position.get(event.externalId)!] = event;
    const created = bySent.filter((event): event is InsertedEvent => event !== undefined);
    const duplicates = input.events.filter((_, index) => !bySent[index]).map((event) => event.externalId);
    const result: IngestResult = { received: input.events.length, created, duplicates, effectsQueued: attributedIds.length };
    if (created.length > 0) {
      await recordActivity(tx, caller.actor, {
        action: 'referrals.ingest',
        entityType: 'referral_batch',
        entityId: caller.actor.requestId ?? created[0]!.id,
        after: {
          received: result.received,
          created: created.length,
          duplicates: duplicates.length,
          firstEventId: Math.min(...created.map((event) => event.id)),
          lastEventId: Math.max(...created.map((event) => event.id)),
          effectsQueued: result.effectsQueued,
        },
      });
    }
    return result;
  });
}
