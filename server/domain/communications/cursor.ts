import { sql, type Column, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { checkCursor } from '../shared/pagination.js';

/** The lists of this area page by (key, id); the cursor is the last row's id. */
export function parseIdCursor(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : checkCursor(cursor, (c) => (z.uuid().safeParse(c).success ? c : undefined));
}

/**
 * Rows after the cursor row in (key, id) order. The cursor row's key is read in SQL, not sent through the cursor,
 * so timestamps keep their microseconds and rows written in one transaction (same timestamp) are not skipped.
 */
export function afterCursor(table: PgTable, key: Column, id: Column, cursorId: string | undefined, order: 'asc' | 'desc'): SQL | undefined {
  if (cursorId === undefined) return undefined;
  const comparison = order === 'asc' ? sql`>` : sql`<`;
  return sql`(${key}, ${id}) ${comparison} (select ${key}, ${id} from ${table} where ${id} = ${cursorId})`;
}
