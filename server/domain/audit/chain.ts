import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';

/** The hash of the link before the first one. */
const GENESIS = Buffer.alloc(32);

/**
 * A row's canonical text: jsonb renders keys in a fixed order, so the same row always gives the same bytes, and
 * any edit to any column changes them.
 */
const canonicalRow = sql.raw(`jsonb_build_object(
  'id', a.id, 'at', to_char(a.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'actorId', a.actor_id,
  'actorRoles', a.actor_roles, 'action', a.action, 'entityType', a.entity_type, 'entityId', a.entity_id,
  'before', a.before, 'after', a.after, 'requestId', a.request_id)::text`);

function linkHash(prevHash: Buffer, canonical: string): Buffer {
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}

/**
 * Appends every unsealed activity row to the hash chain. Writers never wait on this: they insert freely and the
 * sealing job links their rows shortly after, one sealer at a time (an advisory lock), in batches.
 * Returns how many rows were sealed.
 */
export async function sealActivity(db: Database, batchSize = 5000): Promise<number> {
  return db.transaction(async (tx) => {
    const lock = await tx.execute<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(hashtext('activity_seal')) as locked`,
    );
    if (!lock.rows[0]?.locked) return 0;
    const tail = await tx.execute<{ hash: Buffer }>(sql`select hash from activity_seals order by seq desc limit 1`);
    let prevHash: Buffer = tail.rows[0]?.hash ?? GENESIS;
    const unsealed = await tx.execute<{ id: number; canonical: string }>(sql`
      select a.id, ${canonicalRow} as canonical
      from activity a
      where not exists (select 1 from activity_seals s where s.activity_id = a.id)
      order by a.id
      limit ${batchSize}`);
    if (unsealed.rows.length === 0) return 0;
    const ids: number[] = [];
    const prevHashes: string[] = [];
    const hashes: string[] = [];
    for (const row of unsealed.rows) {
      const hash = linkHash(prevHash, row.canonical);
      ids.push(row.id);
      prevHashes.push(`\\x${prevHash.toString('hex')}`);
      hashes.push(`\\x${hash.toString('hex')}`);
      prevHash = hash;
    }
    // sql.param binds each array as one PostgreSQL array; a bare JS array would expand into a row of parameters.
    await tx.execute(sql`
      insert into activity_seals (activity_id, prev_hash, hash)
      select link.activity_id, link.prev_hash, link.hash
      from unnest(${sql.param(ids)}::bigint[], ${sql.param(prevHashes)}::bytea[], ${sql.param(hashes)}::bytea[])
        with ordinality as link(activity_id, prev_hash, hash, position)
      order by link.position`);
    return unsealed.rows.length;
  });
}

export interface ChainReport {
  ok: boolean;
  sealed: number;
  unsealed: number;
  /** The first link that does not match, with what is wrong with it. */
  firstBroken: { seq: number; activityId: number; reason: string } | null;
}

/** Walks the whole chain and recomputes every link; reports the first one that does not match. */
export async function verifyActivityChain(db: Database, batchSize = 5000): Promise<ChainReport> {
  let prevHash: Buffer = GENESIS;
  let lastSeq = 0;
  let sealed = 0;
  for (;;) {
    const batch = await db.execute<{
      seq: number;
      activityId: number;
      prevHash: Buffer;
      hash: Buffer;
      canonical: string | null;
    }>(sql`
      select s.seq, s.activity_id as "activityId", s.prev_hash as "prevHash", s.hash,
             (select ${canonicalRow} from activity a where a.id = s.activity_id) as canonical
      from activity_seals s
      where s.seq > ${lastSeq}
      order by s.seq
      limit ${batchSize}`);
    for (const link of batch.rows) {
      const broken = (reason: string): ChainReport => ({
        ok: false,
        sealed,
        unsealed: 0,
        firstBroken: { seq: link.seq, activityId: link.activityId, reason },
      });
      if (link.canonical === null) return withUnsealed(db, broken('the activity row is missing'));
      if (!link.prevHash.equals(prevHash)) return withUnsealed(db, broken('the link does not follow the previous one'));
      if (!linkHash(prevHash, link.canonical).equals(link.hash)) {
        return withUnsealed(db, broken('the activity row was changed after it was sealed'));
      }
      prevHash = link.hash;
      lastSeq = link.seq;
      sealed++;
    }
    if (batch.rows.length < batchSize) break;
  }
  return withUnsealed(db, { ok: true, sealed, unsealed: 0, firstBroken: null });
}

async function withUnsealed(db: Database, report: ChainReport): Promise<ChainReport> {
  const result = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from activity a
    where not exists (select 1 from activity_seals s where s.activity_id = a.id)`);
  return { ...report, unsealed: result.rows[0]?.count ?? 0 };
}
