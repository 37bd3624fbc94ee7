import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { partners, partnerTree } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { notFound } from '../../errors.js';
import { checkCursor, toPage, type Page } from '../shared/pagination.js';
import { partnerSummaryColumns, partnersAccessible, partnersRestriction, type PartnerSummary } from './partner-view.js';
import type { DownlineInput, UplineInput } from './schemas.js';

export type ChainMember = PartnerSummary & { level: number };

function readableQuery(db: Executor, ability: AppAbility, partnerId: string) {
  return db
    .select({ id: partners.id })
    .from(partners)
    .where(and(eq(partners.id, partnerId), partnersAccessible(ability, 'read')));
}

async function assertFound(rows: PromiseLike<unknown[]>, partnerId: string): Promise<void> {
  if ((await rows).length === 0) throw notFound('Partner', partnerId);
}

/** The chain from the partner's parent (level 1) up to its root. */
export async function upline(db: Executor, ability: AppAbility, input: UplineInput): Promise<{ partnerId: string; items: ChainMember[] }> {
  await assertFound(readableQuery(db, ability, input.partnerId), input.partnerId);
  const items = await db
    .select({ level: partnerTree.depth, ...partnerSummaryColumns(ability) })
    .from(partnerTree)
    .innerJoin(partners, eq(partners.id, partnerTree.ancestorId))
    .where(and(eq(partnerTree.descendantId, input.partnerId), gt(partnerTree.depth, 0), partnersAccessible(ability, 'read')))
    .orderBy(asc(partnerTree.depth));
  return { partnerId: input.partnerId, items };
}

export interface LevelCount {
  level: number;
  count: number;
}
export type Downline = Page<ChainMember> & { partnerId: string; levels: LevelCount[]; total: number };

/** `level:descendantId` of the last row: the closure table's primary key order within one ancestor. */
function parseDownlineCursor(cursor: string): { level: number; id: string } {
  return checkCursor(cursor, (c) => {
    const match = /^(\d{1,4}):(.+)$/.exec(c);
    if (!match || !z.uuid().safeParse(match[2]).success) return undefined;
    return { level: Number(match[1]), id: match[2]! };
  });
}

/** The partners that `partnerId` recruited, directly or not. */
export function downlineQueries(db: Executor, ability: AppAbility, input: DownlineInput) {
  const readable = partnersAccessible(ability, 'read');
  const after = input.cursor ? parseDownlineCursor(input.cursor) : undefined;
  const page = db
    .select({ level: partnerTree.depth, ...partnerSummaryColumns(ability) })
    .from(partnerTree)
    .innerJoin(partners, eq(partners.id, partnerTree.descendantId))
    .where(
      and(
        eq(partnerTree.ancestorId, input.partnerId),
        input.level === undefined ? gt(partnerTree.depth, 0) : eq(partnerTree.depth, input.level),
        after ? sql`(${partnerTree.depth}, ${partnerTree.descendantId}) > (${after.level}, ${after.id}::uuid)` : undefined,
        readable,
      ),
    )
    .orderBy(asc(partnerTree.depth), asc(partnerTree.descendantId))
    .limit(input.limit + 1);
  // Counting 100k closure rows is an index-only scan; joining partners for an always-true condition would cost 5×.
  const restriction = partnersRestriction(ability, 'read');
  const counted = db.select({ level: partnerTree.depth, count: sql<number>`count(*)::int` }).from(partnerTree).$dynamic();
  const levels = (restriction ? counted.innerJoin(partners, eq(partners.id, partnerTree.descendantId)) : counted)
    .where(and(eq(partnerTree.ancestorId, input.partnerId), gt(partnerTree.depth, 0), restriction))
    .groupBy(partnerTree.depth)
    .orderBy(asc(partnerTree.depth));
  return { root: readableQuery(db, ability, input.partnerId), page, levels };
}

/**
 * One page of the downline (at one level, or across levels nearest first) plus the head count of every level.
 * The page and the counts are independent reads, run side by side.
 */
export async function downline(db: Executor, ability: AppAbility, input: DownlineInput): Promise<Downline> {
  const { root, page, levels } = downlineQueries(db, ability, input);
  const [, rows, counts] = await Promise.all([assertFound(root, input.partnerId), page, levels]);
  return {
    partnerId: input.partnerId,
    levels: counts,
    total: counts.reduce((sum, level) => sum + level.count, 0),
    ...toPage(rows, input.limit, (row) => `${row.level}:${row.id}`),
  };
}
