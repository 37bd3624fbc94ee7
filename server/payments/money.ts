/**
 * Exact conversion between integer minor units (how the ledger stores money) and the decimal strings in major units
 * a processor's API takes. Pure string arithmetic: no float ever holds an amount.
 */

/** How many minor-unit digits the currency has (USD 2, JPY 0, KWD 3), per the runtime's ISO 4217 data. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 123456 USD → "1234.56"; 5 USD → "0.05"; 500 JPY → "500". */
export function toDecimalString(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amount ${amountMinor} is not an integer count of minor units`);
  const digits = minorUnitDigits(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const units = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${units}` : `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}`;
}

/** "1234.56" USD → 123456; refuses more decimals than the currency has, so nothing is rounded away. */
export function fromDecimalString(decimal: string, currency: string): number {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!match) throw new RangeError(`"${decimal}" is not a decimal amount`);
  const [, sign, whole, fraction = ''] = match;
  const digits = minorUnitDigits(currency);
  if (fraction.length > digits) throw new RangeError(`"${decimal}" has more than ${digits} decimals for ${currency}`);
  const minor = Number(`${whole}${fraction.padEnd(digits, '0')}`);
  if (!Number.isSafeInteger(minor)) throw new RangeError(`"${decimal}" is too large`);
  return sign === '-' ? -minor : minor;
}
