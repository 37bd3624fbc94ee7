import { and, gte, lt, type Column, type SQL } from 'drizzle-orm';

/**
 * Rows whose `column` lies in the one date-range shape (`from` inclusive, `to` exclusive; see `dateRange`);
 * undefined, i.e. no filter, when neither end is given.
 */
export function withinRange(column: Column, range: { from?: Date; to?: Date } | undefined): SQL | undefined {
  return and(range?.from ? gte(column, range.from) : undefined, range?.to ? lt(column, range.to) : undefined);
}
