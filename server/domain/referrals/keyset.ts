import { sql, type Column, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { checkCursor } from '../shared/pagination.js';

/**
 * Rows after the cursor row in a list ordered by (`at` desc, `id` desc). The cursor is the last row's id; its
 * timestamp is read back in SQL, because a JavaScript Date would drop PostgreSQL's microseconds and skip or repeat
 * rows that share a millisecond.
 */
export function afterCursorDesc(table: PgTable, at: Column, id: Column, cursorId: string | number): SQL {
  return sql`(${at}, ${id}) < (select ${at}, ${id} from ${table} where ${id} = ${cursorId})`;
}

/** A cursor naming a bigint id; BAD_REQUEST otherwise. */
export const bigintCursor = (cursor: string): number =>
  checkCursor(cursor, (value) => (/^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined));
