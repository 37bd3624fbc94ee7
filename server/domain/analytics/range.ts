import { AppError } from '../../errors.js';
import type { Granularity } from './schemas.js';

/** A range of whole UTC days as ISO dates (YYYY-MM-DD): `from` inclusive, `to` exclusive. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
/** The longest range a query may cover, and the longest daily series. */
export const MAX_RANGE_DAYS = 3_660;
export const MAX_DAILY_BUCKETS = 1_000;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(9999, 0, 1);

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Every day a range may cover. */
export const ALL_DAYS: DayRange = { from: isoDay(EARLIEST), to: isoDay(LATEST) };
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);
const badRange = (field: string, message: string) =>
  new AppError('BAD_REQUEST', `Invalid input: ${field}: ${message}`, { field });

export function addDays(day: string, days: number): string {
  return isoDay(msOf(day) + days * DAY_MS);
}

export function daysBetween(range: DayRange): number {
  return Math.round((msOf(range.to) - msOf(range.from)) / DAY_MS);
}

/**
 * The caller's range widened to whole UTC days (the rollups hold days): `from` back to its midnight, `to` on to the
 * next one. Without `to` the range ends with today; without `from` it starts `defaultDays` before its end.
 */
export function resolveRange(input: { from?: Date; to?: Date } | undefined, now: Date, defaultDays = 30): DayRange {
  const to = input?.to ? Math.ceil(input.to.getTime() / DAY_MS) * DAY_MS : (Math.floor(now.getTime() / DAY_MS) + 1) * DAY_MS;
  const from = input?.from ? Math.floor(input.from.getTime() / DAY_MS) * DAY_MS : to - defaultDays * DAY_MS;
  if (from < EARLIEST || from > LATEST) throw badRange('dateRange.from', 'must lie between the years 2000 and 9999');
  if (to < EARLIEST || to > LATEST) throw badRange('dateRange.to', 'must lie between the years 2000 and 9999');
  if (from >= to) throw badRange('dateRange.from', 'must be before the end of the range');
  if (to - from > MAX_RANGE_DAYS * DAY_MS) throw badRange('dateRange', `may span at most ${MAX_RANGE_DAYS} days`);
  return { from: isoDay(from), to: isoDay(to) };
}

/** The bucket a day falls in: itself, the Monday of its ISO week, or the first of its month (as date_trunc does). */
export function bucketOf(day: string, granularity: Granularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 8)}01`;
  const weekday = (new Date(msOf(day)).getUTCDay() + 6) % 7;
  return addDays(day, -weekday);
}

/** The bucket after `bucket`. */
export function nextBucket(bucket: string, granularity: Granularity): string {
  if (granularity === 'day') return addDays(bucket, 1);
  if (granularity === 'week') return addDays(bucket, 7);
  const date = new Date(msOf(bucket));
  return isoDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

/** Every bucket the range touches, in order; the first may start before the range (its days outside count nothing). */
export function bucketsOf(range: DayRange, granularity: Granularity): string[] {
  if (granularity === 'day' && daysBetween(range) > MAX_DAILY_BUCKETS) {
    throw badRange('granularity', `a daily series covers at most ${MAX_DAILY_BUCKETS} days; ask for week or month`);
  }
  const buckets: string[] = [];
  for (let bucket = bucketOf(range.from, granularity); bucket < range.to; bucket = nextBucket(bucket, granularity)) {
    buckets.push(bucket);
  }
  return buckets;
}

/**
 * The range as whole months (read from the month rollup) plus the days before the first and after the last whole
 * month (read from the day rollup). A range within one month is all days.
 */
export function splitByMonths(range: DayRange): { months: DayRange | null; days: DayRange[] } {
  const firstWhole = range.from.endsWith('-01') ? range.from : nextBucket(bucketOf(range.from, 'month'), 'month');
  const lastWholeEnd = bucketOf(range.to, 'month');
  if (firstWhole >= lastWholeEnd) return { months: null, days: [range] };
  const days = [
    ...(range.from < firstWhole ? [{ from: range.from, to: firstWhole }] : []),
    ...(lastWholeEnd < range.to ? [{ from: lastWholeEnd, to: range.to }] : []),
  ];
  return { months: { from: firstWhole, to: lastWholeEnd }, days };
}

/** The range's `from` and `to` as instants, for the caller to see what was counted. */
export function rangeInstants(range: DayRange): { from: Date; to: Date } {
  return { from: new Date(msOf(range.from)), to: new Date(msOf(range.to)) };
}
