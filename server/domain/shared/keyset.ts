import { sql, type Column, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { checkCursor } from './pagination.js';

/**
 * Keyset pagination: a list's cursor is the id of its page's last row, and the next page is the rows that come after
 * that row in the list's order over `keys` (all ascending or all descending, the last key unique). The cursor row's
 * keys are read back in SQL rather than carried in the cursor, so timestamps keep PostgreSQL's microseconds and rows
 * written in one transaction (same timestamp) are neither skipped nor repeated.
 */
export function afterRow(table: PgTable, id: Column, keys: (Column | SQL)[], direction: 'asc' | 'desc', cursorId: string | number): SQL {
  const tuple = sql.join(keys, sql`, `);
  const comparison = direction === 'asc' ? sql`>` : sql`<`;
  return sql`(${tuple}) ${comparison} (select ${tuple} from ${table} where ${id} = ${cursorId})`;
}

/** A cursor naming a uuid row; BAD_REQUEST otherwise. */
export function uuidCursor(cursor: string): string {
  return checkCursor(cursor, (value) => (z.uuid().safeParse(value).success ? value : undefined));
}

/** A cursor naming a bigint id; BAD_REQUEST otherwise. */
export const bigintCursor = (cursor: string): number =>
  checkCursor(cursor, (value) => (/^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined));

/** A list ordered by a positive integer (e.g. a version number): the cursor is the last row's number. */
export function positiveIntCursor(cursor: string): number {
  return checkCursor(cursor, (value) => (/^[1-9]\d{0,8}$/.test(value) ? Number(value) : undefined));
}

/** Rows after the cursor row (a uuid) in the order over `keys`. */
export function afterCursorRow(table: PgTable, id: Column, keys: (Column | SQL)[], direction: 'asc' | 'desc', cursor: string): SQL {
  return afterRow(table, id, keys, direction, uuidCursor(cursor));
}

/** Rows after the cursor row in a list ordered by (`at` desc, `id` desc). */
export function afterCursorDesc(table: PgTable, at: Column, id: Column, cursorId: string | number): SQL {
  return afterRow(table, id, [at, id], 'desc', cursorId);
}
