/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) of text or integer values, for a parameter cast in SQL (`$1::uuid[]`).
 * pg encodes a JS array the same way, but element by element with two regular-expression replaces each and string
 * concatenation; this one tests each element once and joins them into one flat string. Elements are always quoted,
 * so no value needs the unquoted form's rules.
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  return `{${values.map(element).join(',')}}`;
}

function element(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;
