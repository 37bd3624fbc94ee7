import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { arrayLiteral } from '../server/domain/shared/array-literal.js';
import { createTestDatabase } from './helpers/db.js';

const { db } = await createTestDatabase();

// PostgreSQL text cannot hold NUL; everything else may reach an ingested event.
const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((value) => !value.includes('\0'));

describe('arrayLiteral', () => {
  it('reads back in PostgreSQL as the same text array, whatever the strings hold', async () => {
    const tricky = ['', 'NULL', 'null', ' padded ', 'a,b', '{x}', '"quoted"', 'back\\slash', '\\"', 'tab\there', 'é 日本 🙂'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.oneof(text, fc.constantFrom(...tricky)), { nil: null }), { maxLength: 30 }), async (values) => {
        const result = await db.execute<{ value: (string | null)[] }>(sql`select ${arrayLiteral(values)}::text[] as value`);
        expect(result.rows[0]!.value).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });

  it('reads back as the typed arrays the ingest statements cast it to', async () => {
    const result = await db.execute<{ ids: boolean; amounts: boolean; at: boolean; ips: boolean }>(sql`
      select ${arrayLiteral([1, 9_007_199_254_740_991])}::bigint[] = array[1, 9007199254740991]::bigint[] as ids,
        ${arrayLiteral([null, 250])}::int8[] is not distinct from array[null, 250]::int8[] as amounts,
        ${arrayLiteral(['2025-01-01T00:00:00.000Z'])}::timestamptz[] = array['2025-01-01 00:00:00+00']::timestamptz[] as at,
        ${arrayLiteral(['10.0.0.1', '::1'])}::inet[] = array['10.0.0.1', '::1']::inet[] as ips`);
    expect(result.rows[0]).toEqual({ ids: true, amounts: true, at: true, ips: true });
  });

  it('gives PostgreSQL an empty array for no values', async () => {
    const result = await db.execute<{ n: number }>(sql`select cardinality(${arrayLiteral([])}::text[]) as n`);
    expect(result.rows[0]!.n).toBe(0);
  });
});
