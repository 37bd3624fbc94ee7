import type { Database } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { pgErrorCode } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { commissionWebhookEvents } from '../commissions/events.js';
import { reverseForRefunds } from '../commissions/reverse.js';
import { fraudWebhookEvents, openFraudFlags } from '../fraud/detect.js';
import { emitEvents } from '../webhooks/events.js';
import { applyBatchEffects } from './batch-effects.js';
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
  commissionEntries: number;
  fraudFlags: number;
}

const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Stores a batch of referral events, attributes them, writes their commissions (or reversals), runs the fraud
 * rules and queues the webhooks (commission.created/reversed, fraud_flag.raised), all in one transaction and set-based: a few statements per batch, none per event. Idempotent per external
 * id, also between concurrent calls: the unique index decides which call stores an event, the other reports it as a
 * duplicate and writes nothing for it.
 */
export async function ingestReferrals(db: Database, caller: IngestCaller, input: IngestInput): Promise<IngestResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ingestOnce(db, caller, input);
    } catch (error) {
      // Two batches sharing external ids in a different kind order can deadlock; the loser simply runs again.
      if (attempt >= 3 || !RETRYABLE.has(pgErrorCode(error) ?? '')) throw error;
    }
  }
}

async function ingestOnce(db: Database, caller: IngestCaller, input: IngestInput): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    const rows = await toEventRows(tx, input.events);
    const created = [
      ...(await insertClicks(tx, rows.filter((row) => row.kind === 'click'), caller.apiKeyId)),
      ...(await insertConversions(tx, rows.filter((row) => row.kind === 'lead' || row.kind === 'sale'), caller.apiKeyId)),
      ...(await insertRefunds(tx, rows.filter((row) => row.kind === 'refund'), caller.apiKeyId)),
    ];
    const attributed = created.filter((event) => event.attributionStatus === 'attributed');
    const { earnings, hits } = await applyBatchEffects(tx, caller.actor, attributed.map((event) => event.id));
    const reversals = await reverseForRefunds(tx, caller.actor, attributed.filter((event) => event.kind === 'refund').map((event) => event.id));
    const flags = await openFraudFlags(tx, caller.actor, hits);
    await emitEvents(tx, [...commissionWebhookEvents([...earnings, ...reversals]), ...fraudWebhookEvents(flags)]);

    const position = new Map(input.events.map((event, index) => [event.externalId, index]));
    created.sort((a, b) => position.get(a.externalId)! - position.get(b.externalId)!);
    const stored = new Set(created.map((event) => event.externalId));
    const duplicates = input.events.map((event) => event.externalId).filter((externalId) => !stored.has(externalId));
    const result: IngestResult = {
      received: input.events.length,
      created,
      duplicates,
      commissionEntries: earnings.length + reversals.length,
      fraudFlags: flags.length,
    };
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
          commissionEntries: result.commissionEntries,
          fraudFlags: result.fraudFlags,
        },
      });
    }
    return result;
  });
}
