import { createMongoAbility } from '@casl/ability';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import type { AppAbility } from '../server/auth/abilities.js';
import { partners } from '../db/schema/partners.js';
import { downline, upline } from '../server/domain/hierarchy/chains.js';
import { setParent } from '../server/domain/hierarchy/set-parent.js';
import { AppError } from '../server/errors.js';
import { createTestDatabase } from './helpers/db.js';
import {
  callerWith,
  closureVersusParents,
  insertPartner,
  insertProgram,
  insertProgramVersion,
  insertTree,
  insertUser,
} from './helpers/factories/hierarchy.js';

const { db } = await createTestDatabase();
const admin = callerWith(['affiliate_admin']);

/** A forest as a parent list: node 0 is a root, every later node hangs under an earlier one or is a root. */
const forest = (maxLength: number) =>
  fc.array(fc.nat(), { minLength: 1, maxLength }).map((raw) =>
    raw.map((r, index) => {
      const pick = r % (index + 1);
      return index === 0 || pick === index ? null : pick;
    }),
  );

/** The naive model: walk parent links. */
function uplineOf(parents: (number | null)[], node: number): number[] {
  const chain: number[] = [];
  for (let current = parents[node]; current !== null && current !== undefined; current = parents[current]) chain.push(current);
  return chain;
}
function downlineOf(parents: (number | null)[], node: number): { level: number; node: number }[] {
  return parents
    .map((_, other) => ({ node: other, level: uplineOf(parents, other).indexOf(node) + 1 }))
    .filter((entry) => entry.level > 0);
}

async function move(partnerId: string, parentId: string | null) {
  return setParent(db, admin.actor, admin.ability, { partnerId, parentId });
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('upline and downline', () => {
  it('match a naive walk of parent links on random forests', async () => {
    await fc.assert(
      fc.asyncProperty(forest(30), fc.nat(), fc.integer({ min: 1, max: 4 }), async (parents, pick, limit) => {
        const ids = await insertTree(db, parents);
        const node = pick % ids.length;

        const up = await upline(db, admin.ability, { partnerId: ids[node]! });
        expect(up.items.map((item) => [item.level, item.id])).toEqual(uplineOf(parents, node).map((other, index) => [index + 1, ids[other]]));

        const expected = downlineOf(parents, node)
          .map(({ level, node: other }) => ({ level, id: ids[other]! }))
          .sort((a, b) => a.level - b.level || a.id.localeCompare(b.id));
        const seen: { level: number; id: string }[] = [];
        let cursor: string | undefined;
        do {
          const page = await downline(db, admin.ability, { partnerId: ids[node]!, limit, cursor });
          seen.push(...page.items.map((item) => ({ level: item.level, id: item.id })));
          const counts = new Map<number, number>();
          for (const entry of expected) counts.set(entry.level, (counts.get(entry.level) ?? 0) + 1);
          expect(page.levels).toEqual([...counts].map(([level, count]) => ({ level, count })));
          expect(page.total).toBe(expected.length);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual(expected);

        const levelOne = await downline(db, admin.ability, { partnerId: ids[node]!, level: 1, limit: 200 });
        expect(levelOne.items.map((item) => item.id)).toEqual(expected.filter((entry) => entry.level === 1).map((entry) => entry.id));
      }),
      { numRuns: 25 },
    );
  });

  it('counts and lists only the partners a conditional read rule lets the caller see', async () => {
    const managerId = await insertUser(db);
    const root = await insertPartner(db, { managerId });
    const seen = await insertPartner(db, { parentId: root, managerId });
    await insertPartner(db, { parentId: root });
    await insertPartner(db, { parentId: seen });
    const narrow = createMongoAbility([{ action: 'read', subject: 'Partner', conditions: { managerId } }]) as AppAbility;
    const page = await downline(db, narrow, { partnerId: root, limit: 10 });
    expect(page.items.map((item) => item.id)).toEqual([seen]);
    expect(page.levels).toEqual([{ level: 1, count: 1 }]);
    expect((await refusal(upline(db, narrow, { partnerId: (await insertPartner(db)) }))).code).toBe('NOT_FOUND');
  });

  it('answers NOT_FOUND for a partner that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await refusal(upline(db, admin.ability, { partnerId: missing }))).code).toBe('NOT_FOUND');
    expect((await refusal(downline(db, admin.ability, { partnerId: missing, limit: 10 }))).code).toBe('NOT_FOUND');
  });

  it('refuses a cursor it did not hand out', async () => {
    const [root] = await insertTree(db, [null]);
    const error = await refusal(downline(db, admin.ability, { partnerId: root!, limit: 10, cursor: 'not-a-cursor' }));
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('cursor') });
  });
});

type Outcome = 'same' | 'cycle' | 'depth' | 'moved';

/** What setParent must do, decided on the in-memory model. */
function expectedOutcome(parents: (number | null)[], node: number, parent: number | null, limit: number): Outcome {
  if (parents[node] === parent) return 'same';
  if (parent !== null && (parent === node || uplineOf(parents, parent).includes(node))) return 'cycle';
  const height = Math.max(0, ...downlineOf(parents, node).map((entry) => entry.level));
  const depth = parent === null ? 0 : uplineOf(parents, parent).length + 1;
  return depth + height > limit ? 'depth' : 'moved';
}

describe('moving a subtree', () => {
  it('keeps the closure table equal to the closure of parent_id, refusing exactly cycles and too-deep moves', async () => {
    const moves = fc.array(fc.tuple(fc.nat(), fc.option(fc.nat(), { nil: null })), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(forest(14), moves, fc.integer({ min: 1, max: 6 }), async (initial, steps, limit) => {
        const programId = await insertProgram(db, { maxHierarchyDepth: limit });
        const ids = await insertTree(db, initial, { programId });
        const parents = [...initial];
        for (const [pickNode, pickParent] of steps) {
          const node = pickNode % ids.length;
          const parent = pickParent === null ? null : pickParent % ids.length;
          if (parent === node) continue;
          const outcome = expectedOutcome(parents, node, parent, limit);
          const attempt = move(ids[node]!, parent === null ? null : ids[parent]!);
          if (outcome === 'cycle' || outcome === 'depth') {
            const error = await refusal(attempt);
            expect(error.code).toBe('CONFLICT');
            expect(error.message).toMatch(outcome === 'cycle' ? /cycle/ : new RegExp(`maxHierarchyDepth = ${limit}`));
          } else {
            await attempt;
            parents[node] = parent;
          }
        }
        const { stored, recomputed } = await closureVersusParents(db, ids);
        expect(stored).toEqual(recomputed);
        const rows = await db.select({ id: partners.id, parentId: partners.parentId }).from(partners);
        const parentOf = new Map(rows.map((row) => [row.id, row.parentId]));
        expect(ids.map((id) => parentOf.get(id))).toEqual(parents.map((parent) => (parent === null ? null : ids[parent])));
      }),
      { numRuns: 25 },
    );
  });

  it('records the move in the audit trail', async () => {
    const [root, child, other] = await insertTree(db, [null, 0, null]);
    const result = await move(child!, other!);
    expect(result).toEqual({ partnerId: child, parentId: other, depth: 1, moved: 1 });
    const rows = await db
      .select({ actorId: activity.actorId, before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.action, 'partner.set_parent'), eq(activity.entityId, child!)));
    expect(rows).toEqual([{ actorId: admin.actor.userId, before: { parentId: root }, after: { parentId: other } }]);
  });

  it('makes a partner a root when the parent is null', async () => {
    const [, child, grandchild] = await insertTree(db, [null, 0, 1]);
    await move(child!, null);
    const up = await upline(db, admin.ability, { partnerId: grandchild! });
    expect(up.items.map((item) => item.id)).toEqual([child]);
  });

  it('refuses a parent that is rejected or terminated', async () => {
    const partner = await insertPartner(db);
    const terminated = await insertPartner(db, { status: 'terminated' });
    const error = await refusal(move(partner, terminated));
    expect(error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('terminated') });
  });
});

describe('depth limit', () => {
  it('defaults to 3 levels for a partner without a program, and names the limit', async () => {
    const [, , , deepest] = await insertTree(db, [null, 0, 1, 2]);
    const newcomer = await insertPartner(db);
    const error = await refusal(move(newcomer, deepest!));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('rules.maxHierarchyDepth = 3');
    expect(error.details).toMatchObject({ maxHierarchyDepth: 3, resultingDepth: 4, deepestPartnerId: newcomer });
  });

  it("considers the moved subtree's deepest descendant", async () => {
    const programId = await insertProgram(db, { maxHierarchyDepth: 3 });
    const [root, level1] = await insertTree(db, [null, 0], { programId });
    const [top, , bottom] = await insertTree(db, [null, 0, 1], { programId });
    const error = await refusal(move(top!, level1!));
    expect(error.details).toMatchObject({ maxHierarchyDepth: 3, resultingDepth: 4, deepestPartnerId: bottom });
    await expect(move(top!, root!)).resolves.toMatchObject({ depth: 1, moved: 3 });
  });

  it("uses the highest version of the moved partner's program", async () => {
    const programId = await insertProgram(db, { maxHierarchyDepth: 5 });
    await insertProgramVersion(db, programId, 2, 1);
    const [, level1] = await insertTree(db, [null, 0]);
    const partner = await insertPartner(db, { programId });
    const error = await refusal(move(partner, level1!));
    expect(error.details).toMatchObject({ maxHierarchyDepth: 1, resultingDepth: 2, programId });
  });
});

describe('concurrent moves', () => {
  it('never let two moves that together form a cycle both succeed', async () => {
    for (let round = 0; round < 8; round++) {
      const [a, b] = await insertTree(db, [null, null]);
      const results = await Promise.allSettled([move(a!, b!), move(b!, a!)]);
      const failures = results.filter((result) => result.status === 'rejected');
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect((failures[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('cycle') });
      const { stored, recomputed } = await closureVersusParents(db, [a!, b!]);
      expect(stored).toEqual(recomputed);
    }
  });

  it('keep the closure consistent while new partners join the moving subtree', async () => {
    const [rootA, rootB, top, middle] = await insertTree(db, [null, null, 0, 2]);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      work.push(move(top!, i % 2 === 0 ? rootB! : rootA!));
      work.push(insertPartner(db, { parentId: i % 2 === 0 ? middle! : top! }));
    }
    await Promise.all(work);
    const members = await db.select({ id: partners.id }).from(partners);
    const { stored, recomputed } = await closureVersusParents(db, members.map((member) => member.id));
    expect(stored).toEqual(recomputed);
  });
});
