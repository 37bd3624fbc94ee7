import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { AppError, illegalTransition, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { heldByOpenFlag } from '../fraud/held.js';
import type { ApproveCommissionsInput } from './schemas.js';

/** The actor of approvals the scheduler makes. */
export const COMMISSIONS_SYSTEM_ACTOR: Actor = { userId: 'system:commissions', roles: [], requestId: null };

/**
 * Approves, in one statement, every pending entry whose hold ended by `now` and that no open fraud flag holds.
 * A pending reversal shares its entry's hold, so the two are approved together. The scheduled job calls this.
 */
export function approveDueCommissions(db: Database, now: Date): Promise<{ approved: number }> {
  return db.transaction((tx) => approveDueIn(tx, now));
}

/** `approveDueCommissions` in the caller's transaction, with its audit row. */
export async function approveDueIn(tx: Executor, now: Date): Promise<{ approved: number }> {
  // Counted in SQL: a backlog can be hundreds of thousands of entries, too many to bring back (or to spread into
  // Math.min, which overflows the stack past ~120k arguments).
  const result = await tx.execute<{ approved: number; first_id: number | null; last_id: number | null }>(sql`
    with approved as (
      update commissions c set status = 'approved', status_changed_at = ${now.toISOString()}::timestamptz
      where c.status = 'pending' and c.hold_until <= ${now.toISOString()}::timestamptz and not ${heldByOpenFlag('c')}
      returning c.id
    )
    select count(*)::int as approved, min(id) as first_id, max(id) as last_id from approved`);
  const { approved, first_id: firstId, last_id: lastId } = result.rows[0]!;
  if (approved > 0) {
    await recordActivity(tx, COMMISSIONS_SYSTEM_ACTOR, {
      action: 'commissions.approve_due',
      entityType: 'commission_batch',
      entityId: now.toISOString(),
      after: { approved, firstId, lastId },
    });
  }
  return { approved };
}

type Entry = { id: number; kind: string; status: string; held: boolean };

/**
 * Approves the given earnings and overrides now, before their hold ends (with their pending reversals). Refused
 * whole: a missing entry (NOT_FOUND), a reversal or payout entry (BAD_REQUEST: they follow their entry), an entry
 * not pending (CONFLICT), an entry an open fraud flag holds (PRECONDITION_FAILED).
 */
export async function approveCommissions(db: Database, actor: Actor, input: ApproveCommissionsInput) {
  return db.transaction(async (tx) => {
    const entries = await lockEntries(tx, input.ids);
    for (const id of input.ids) {
      const entry = entries.get(id);
      if (!entry) throw notFound('Commission', id);
      if (entry.kind !== 'earning' && entry.kind !== 'override') {
        throw new AppError('BAD_REQUEST', `Invalid input: ids: commission ${id} is a ${entry.kind}; approve the earning or override it belongs to`, {
          field: 'ids',
        });
      }
      if (entry.status !== 'pending') throw illegalTransition(`Commission ${id}`, entry.status, 'approved');
      if (entry.held) {
        throw new AppError('PRECONDITION_FAILED', `Commission ${id} is held by an open fraud flag; review the flag first`, {
          missing: [{ requirement: 'fraud_review', commissionId: id }],
        });
      }
    }
    const approved = await tx.execute<{ id: number; reverses_id: number | null }>(sql`
      update commissions set status = 'approved', status_changed_at = now()
      where status = 'pending'
        and (id = any(${sql.param(input.ids)}::bigint[]) or reverses_id = any(${sql.param(input.ids)}::bigint[]))
      returning id, reverses_id`);
    await recordActivity(
      tx,
      actor,
      input.ids.map((id) => ({
        action: 'commission.approve',
        entityType: 'commission',
        entityId: id,
        before: { status: 'pending' },
        after: {
          status: 'approved',
          note: input.note ?? null,
          reversalsApproved: approved.rows.filter((row) => row.reverses_id === id).map((row) => row.id),
        },
      })),
    );
    return { approved: approved.rows.map((row) => row.id).sort((a, b) => a - b) };
  });
}

async function lockEntries(tx: Executor, ids: number[]): Promise<Map<number, Entry>> {
  const rows = await tx.execute<Entry>(sql`
    select c.id, c.kind, c.status, ${heldByOpenFlag('c')} as held
    from commissions c where c.id = any(${sql.param(ids)}::bigint[])
    order by c.id for update of c`);
  return new Map(rows.rows.map((row) => [row.id, row]));
}
