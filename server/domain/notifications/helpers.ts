import type { HelperDelegate, HelperOptions } from 'handlebars';

/**
 * Template helpers. Handlebars' strict mode does not check helper arguments, so each helper refuses a missing or
 * malformed value itself: a broken template fails loudly instead of mailing "undefined" to a partner.
 */

function fail(helper: string, message: string): never {
  throw new Error(`template helper ${helper}: ${message}`);
}

function integer(helper: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(helper, `expected an integer, got ${String(value)}`);
  return value;
}

function currencyCode(helper: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) fail(helper, `expected a currency code, got ${String(value)}`);
  return value;
}

function instant(helper: string, value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) fail(helper, `expected a date, got ${String(value)}`);
  return date;
}

/** Integer minor units + currency → "$1,234.56", formatted from a decimal string so no float rounding creeps in. */
export function formatMoney(amountMinor: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const sign = amountMinor < 0 ? '-' : '';
  const units = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  return format.format(`${sign}${decimal}` as unknown as number);
}

/** Basis points → "12.5%". */
export function formatBasisPoints(bps: number): string {
  return `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(bps / 100)}%`;
}

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23', timeZone: 'UTC' });

const DOCUMENT_NAMES: Record<string, string> = {
  w9: 'W-9 form',
  w8ben: 'W-8BEN form',
  identity: 'identity document',
  business_registration: 'business registration',
  other: 'document',
};
const REASONS: Record<string, string> = {
  performance: 'performance',
  compliance: 'a compliance requirement',
  fraud: 'suspected fraudulent activity',
  partner_request: 'your request',
  other: 'another reason',
};
const METRICS: Record<string, { name: string; unit: 'count' | 'money' | 'bps' | 'days' }> = {
  conversions: { name: 'conversions', unit: 'count' },
  revenue: { name: 'revenue', unit: 'money' },
  conversion_rate: { name: 'conversion rate', unit: 'bps' },
  refund_rate: { name: 'refund rate', unit: 'bps' },
  active_days: { name: 'active days', unit: 'count' },
};

function lookupLabel(helper: string, labels: Record<string, string>, value: unknown): string {
  const label = typeof value === 'string' ? labels[value] : undefined;
  return label ?? fail(helper, `unknown value ${String(value)}`);
}

/** Positional arguments of a helper call; Handlebars appends its options object last. */
function positional(args: unknown[]): unknown[] {
  return args.slice(0, -1);
}

export const templateHelpers: Record<string, HelperDelegate> = {
  money: (amount: unknown, currency: unknown) => formatMoney(integer('money', amount), currencyCode('money', currency)),
  /** A commission rate: a percentage in basis points or a flat amount in minor units. */
  rate: (rate: unknown, currency: unknown) => {
    const { rateType, value } = (rate ?? {}) as { rateType?: unknown; value?: unknown };
    if (rateType === 'percentage') return formatBasisPoints(integer('rate', value));
    if (rateType === 'flat') return `${formatMoney(integer('rate', value), currencyCode('rate', currency))} per sale`;
    return fail('rate', `expected { rateType, value }, got ${JSON.stringify(rate)}`);
  },
  date: (value: unknown) => dateFormat.format(instant('date', value)),
  datetime: (value: unknown) => `${dateTimeFormat.format(instant('datetime', value))} UTC`,
  /** An absolute link on PUBLIC_BASE_URL: `{{link "/tickets/" ticketId}}`. */
  link: (...args: unknown[]) => {
    const options = args.at(-1) as HelperOptions;
    const parts = positional(args);
    if (parts.length === 0 || parts.some((part) => typeof part !== 'string' && typeof part !== 'number')) {
      fail('link', `expected path segments, got ${JSON.stringify(parts)}`);
    }
    const baseUrl = (options.data as { baseUrl?: unknown } | undefined)?.baseUrl;
    if (typeof baseUrl !== 'string') fail('link', 'no base URL given to the renderer');
    // Relative to the base URL's path, so a dashboard served under /partners keeps its prefix.
    return new URL(parts.join('').replace(/^\/+/, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  },
  documentName: (kind: unknown) => lookupLabel('documentName', DOCUMENT_NAMES, kind),
  reason: (code: unknown) => lookupLabel('reason', REASONS, code),
  metricName: (metric: unknown) => METRICS[String(metric)]?.name ?? fail('metricName', `unknown metric ${String(metric)}`),
  metricValue: (metric: unknown, value: unknown, currency: unknown) => {
    const unit = METRICS[String(metric)]?.unit ?? fail('metricValue', `unknown metric ${String(metric)}`);
    const amount = integer('metricValue', value);
    if (unit === 'money') return formatMoney(amount, currencyCode('metricValue', currency));
    if (unit === 'bps') return formatBasisPoints(amount);
    return new Intl.NumberFormat('en-US').format(amount);
  },
  eq: (left: unknown, right: unknown) => left === right,
  /** Whether being `direction` ('below' | 'above') the threshold is the bad side: for a refund rate, above is. */
  worseSide: (metric: unknown, direction: unknown) => (String(metric) === 'refund_rate' ? direction === 'above' : direction === 'below'),
  plural: (count: unknown, singular: unknown, pluralForm: unknown) =>
    `${integer('plural', count)} ${integer('plural', count) === 1 ? String(singular) : String(pluralForm)}`,
};
