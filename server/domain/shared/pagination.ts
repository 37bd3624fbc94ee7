import { z } from 'zod';
import { AppError } from '../../errors.js';

/** The one pagination shape: an opaque cursor (the last row's key) and a limit. */
export const pageInput = z.object({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type PageInput = z.infer<typeof pageInput>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Fetch `limit + 1` rows, then call this: the extra row only tells whether another page exists. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}

/** The one date-range shape: both ends optional, `from` inclusive, `to` exclusive. */
export const dateRange = z
  .object({ from: z.coerce.date().optional(), to: z.coerce.date().optional() })
  .refine((range) => !range.from || !range.to || range.from < range.to, {
    message: 'from must be before to',
    path: ['to'],
  });

export function checkCursor<T>(cursor: string, parse: (cursor: string) => T | undefined): T {
  const parsed = parse(cursor);
  if (parsed === undefined) {
    throw new AppError('BAD_REQUEST', 'Invalid input: cursor: not a cursor this list returned', { field: 'cursor' });
  }
  return parsed;
}
