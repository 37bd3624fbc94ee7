/**
 * The audit trail is append-only and outlives GDPR erasure, so it never holds PII in clear: a changed PII field is
 * recorded by name, with these markers in place of its old and new values.
 */
export const REDACTED_OLD = '[redacted: old value]';
export const REDACTED_NEW = '[redacted: new value]';
export const REDACTED = '[redacted]';

/** Hidden from callers without `read_pii` (see view.ts). */
export const PARTNER_PII_FIELDS = ['name', 'email', 'phone'] as const;
/**
 * Removed by erasure, so never written to the audit trail in clear: the PII plus company and website, which for a
 * sole trader name the person.
 */
export const PARTNER_ERASABLE_FIELDS = [...PARTNER_PII_FIELDS, 'company', 'website'] as const;
export const CONTACT_PII_FIELDS = ['name', 'email', 'phone', 'address'] as const;

/** Replaces the PII fields present in `fields` with a marker. */
export function redact<T extends Record<string, unknown>>(fields: T, piiFields: readonly string[], marker = REDACTED): T {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, piiFields.includes(key) && value !== undefined ? marker : value]),
  ) as T;
}

/**
 * Before/after of the fields an update changed, PII replaced by markers, for the audit row. Unchanged fields are
 * dropped here because equal markers would otherwise hide which PII fields changed.
 */
export function auditedChange(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  piiFields: readonly string[],
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const changed = Object.keys(after).filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null));
  const pick = (source: Record<string, unknown>, marker: string) =>
    Object.fromEntries(changed.map((key) => [key, piiFields.includes(key) ? marker : (source[key] ?? null)]));
  return { before: pick(before, REDACTED_OLD), after: pick(after, REDACTED_NEW) };
}
