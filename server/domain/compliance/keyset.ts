import { sql, type Column, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { checkCursor } from '../shared/pagination.js';

/** A list's cursor is the id of the page's last row; BAD_REQUEST when it is not a uuid. */
export function uuidCursor(cursor: string): string {
  return checkCursor(cursor, (value) => (z.uuid().safeParse(value).success ? value : undefined));
}

/** A list ordered by a positive integer (e.g. a version number): the cursor is the last row's number. */
export function positiveIntCursor(cursor: string): number {
  return checkCursor(cursor, (value) => (/^[1-9]\d{0,8}$/.test(value) ? Number(value) : undefined));
}

/**
 * Keyset pagination over an order on `keys` (all ascending or all descending, the last key unique): the rows that
 * come after the cursor row. The cursor row's keys are read in SQL, so timestamps keep their microseconds.
 */
export function afterCursorRow(
  table: PgTable,
  id: Column,
  keys: (Column | SQL)[],
  direction: 'asc' | 'desc',
  cursor: string,
): SQL {
  const tuple = sql.join(keys, sql`, `);
  const comparison = direction === 'asc' ? sql`>` : sql`<`;
  return sql`(${tuple}) ${comparison} (select ${tuple} from ${table} where ${id} = ${uuidCursor(cursor)})`;
}
