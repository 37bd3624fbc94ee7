import { and, asc, count, desc, eq, gte, ilike, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { PARTNER_STATUSES, partners, partnerTiers } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { checkCursor, toPage, type Page } from '../shared/pagination.js';
import { piiVisibleSql, readableSql } from './access.js';
import type { ListPartnersInput } from './schemas.js';
import { partnerViewColumns, type PartnerView } from './view.js';

type Sort = ListPartnersInput['sort'];
type KeyKind = 'timestamp' | 'status' | 'name';

/** What each sort orders by before the id tiebreak. */
const SORT_KEYS: Record<Sort['field'], KeyKind[]> = {
  createdAt: ['timestamp'],
  status: ['status', 'timestamp'],
  name: ['name'],
};

/** The keyset cursor: the sort it belongs to, the last row's sort key and its id. */
const cursorShape = z.object({
  f: z.enum(['createdAt', 'name', 'status']),
  d: z.enum(['asc', 'desc']),
  k: z.array(z.string().nullable()).min(1).max(2),
  id: z.uuid(),
});
type Cursor = z.infer<typeof cursorShape>;

const isTimestamp = (value: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value) && !Number.isNaN(Date.parse(value));

/** A forged key must not reach SQL as a value PostgreSQL cannot cast: that would be a 500, not a BAD_REQUEST. */
const KEY_VALID: Record<KeyKind, (value: string | null) => boolean> = {
  timestamp: (value) => value !== null && isTimestamp(value),
  status: (value) => (PARTNER_STATUSES as readonly unknown[]).includes(value),
  // Null: a name the caller may not read.
  name: () => true,
};

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(raw: string, sort: Sort): Cursor | undefined {
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    const { f, d, k } = parsed.data;
    const kinds = SORT_KEYS[sort.field];
    if (f !== sort.field || d !== sort.direction || k.length !== kinds.length) return undefined;
    return kinds.every((kind, index) => KEY_VALID[kind](k[index]!)) ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Only callers who may read every partner's PII sort by the name column itself (and use its index). */
function readsAllPii(ability: AppAbility): boolean {
  const rules = ability.rulesFor('read_pii', 'Partner');
  return rules.every((rule) => !rule.inverted) && rules.some((rule) => !rule.conditions);
}

/**
 * The sort expressions for keyset pagination on (key…, id). Names the caller may not read are NULL in the sort
 * too, so a cursor never carries PII the caller could not see; those rows come last, ordered by id.
 */
function sortExpressions(sort: Sort, ability: AppAbility): { keys: SQL[]; nullableFirstKey: boolean } {
  const hiddenNamesNull = sort.field === 'name' && !readsAllPii(ability);
  const expression: Record<KeyKind, SQL> = {
    timestamp: sql`${partners.createdAt}`,
    status: sql`${partners.status}`,
    name: hiddenNamesNull ? sql`(case when ${piiVisibleSql(ability)} then ${partners.name} end)` : sql`${partners.name}`,
  };
  return { keys: SORT_KEYS[sort.field].map((kind) => expression[kind]), nullableFirstKey: hiddenNamesNull };
}
type SortPlan = ReturnType<typeof sortExpressions>;

/** Microsecond precision: PostgreSQL keeps it, and a cursor rounded to milliseconds would skip or repeat rows. */
function cursorKey(sort: Sort, index: number, key: SQL): SQL {
  return SORT_KEYS[sort.field][index] === 'timestamp'
    ? sql`to_char(${key} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : sql`(${key})::text`;
}

function cursorValue(sort: Sort, index: number, value: string): SQL {
  return SORT_KEYS[sort.field][index] === 'timestamp' ? sql`${value}::timestamptz` : sql`${value}::text`;
}

function afterCursor(plan: SortPlan, sort: Sort, cursor: Cursor): SQL {
  const op = sort.direction === 'asc' ? sql`>` : sql`<`;
  const id = sql`${cursor.id}::uuid`;
  const first = plan.keys[0]!;
  if (plan.nullableFirstKey && cursor.k[0] === null) return sql`(${first} is null and ${partners.id} ${op} ${id})`;
  const values = cursor.k.map((value, index) => (value === null ? sql`null` : cursorValue(sort, index, value)));
  const tuple = sql`(${sql.join([...plan.keys, sql`${partners.id}`], sql`, `)}) ${op} (${sql.join([...values, id], sql`, `)})`;
  return plan.nullableFirstKey ? sql`(${tuple} or ${first} is null)` : tuple;
}

function orderBy(plan: SortPlan, sort: Sort): SQL[] {
  const direction = sort.direction === 'asc' ? sql`asc` : sql`desc`;
  const nulls = plan.nullableFirstKey ? sql` nulls last` : sql``;
  return [
    ...plan.keys.map((key, index) => sql`${key} ${direction}${index === 0 ? nulls : sql``}`),
    sort.direction === 'asc' ? asc(partners.id) : desc(partners.id),
  ];
}

const escapeLike = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The tier filter, through partner_tiers' index (`tier` is indexed there, not on partners: tier moves stay HOT). The
 * program filter is repeated inside so that the index narrows by program too, rather than by tier alone.
 */
function inTiers(tiers: string[], programId: string | undefined): SQL {
  return sql`${partners.id} in (
    select ${partnerTiers.partnerId} from ${partnerTiers}
    where ${and(inArray(partnerTiers.tier, tiers), programId ? eq(partnerTiers.programId, programId) : undefined)})`;
}

function filters(ability: AppAbility, input: ListPartnersInput): SQL | undefined {
  const pattern = input.search ? escapeLike(input.search) : undefined;
  return and(
    readableSql(ability),
    input.status ? inArray(partners.status, input.status) : undefined,
    input.tier ? inTiers(input.tier, input.programId) : undefined,
    input.programId ? eq(partners.programId, input.programId) : undefined,
    input.managerId ? eq(partners.managerId, input.managerId) : undefined,
    input.parentId ? eq(partners.parentId, input.parentId) : undefined,
    input.createdAt?.from ? gte(partners.createdAt, input.createdAt.from) : undefined,
    input.createdAt?.to ? lt(partners.createdAt, input.createdAt.to) : undefined,
    // Searching names or emails the caller may not read would reveal them one guess at a time.
    pattern
      ? or(
          ilike(partners.company, pattern),
          and(piiVisibleSql(ability), or(ilike(partners.name, pattern), ilike(partners.email, pattern))),
        )
      : undefined,
  );
}

export interface PartnerPage extends Page<PartnerView> {
  total: number;
}

/** The two statements of partners.list: the page (one extra row tells whether another follows) and the total. */
export function listPartnersQueries(db: Executor, ability: AppAbility, input: ListPartnersInput) {
  const plan = sortExpressions(input.sort, ability);
  const where = filters(ability, input);
  const cursor = input.cursor ? checkCursor(input.cursor, (raw) => decodeCursor(raw, input.sort)) : undefined;
  const cursorKeys = sql.join(
    plan.keys.map((key, index) => cursorKey(input.sort, index, key)),
    sql`, `,
  );
  return {
    rows: db
      .select({ ...partnerViewColumns(piiVisibleSql(ability)), cursorKeys: sql<(string | null)[]>`array[${cursorKeys}]` })
      .from(partners)
      .where(and(where, cursor ? afterCursor(plan, input.sort, cursor) : undefined))
      .orderBy(...orderBy(plan, input.sort))
      .limit(input.limit + 1),
    total: db.select({ total: count() }).from(partners).where(where),
  };
}

/** partners.list: filtered, sorted, keyset-paginated partners the caller may read, with the total that match. */
export async function listPartners(db: Executor, ability: AppAbility, input: ListPartnersInput): Promise<PartnerPage> {
  const queries = listPartnersQueries(db, ability, input);
  const [rows, totals] = await Promise.all([queries.rows, queries.total]);
  const page = toPage(rows, input.limit, (row) =>
    encodeCursor({ f: input.sort.field, d: input.sort.direction, k: row.cursorKeys, id: row.id }),
  );
  return {
    items: page.items.map(({ cursorKeys: _keys, ...item }) => item),
    nextCursor: page.nextCursor,
    total: totals[0]?.total ?? 0,
  };
}
