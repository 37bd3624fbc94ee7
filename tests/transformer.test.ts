import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { transformer } from '../server/http/transformer.js';

const wire = (value: unknown) => JSON.stringify(value);

/** What goes on the wire, or the error that stops it. */
function outcome(serialize: (value: unknown) => unknown, value: unknown): string {
  try {
    return wire(serialize(value));
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

describe('the tRPC transformer', () => {
  it('puts on the wire exactly what superjson does, or refuses what it refuses, for any value', () => {
    const values = fc.oneof(
      fc.jsonValue(),
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withBoxedValues: true,
        withSparseArray: true,
        withTypedArray: false,
        withUnicodeString: true,
      }),
      fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, undefined, { a: undefined }, new Date(0), [1n], JSON.parse('{"__proto__": 1}'), { constructor: 1 }),
    );
    fc.assert(
      fc.property(values, (value) => {
        expect(outcome(transformer.serialize, value)).toBe(outcome((v) => superjson.serialize(v), value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes answers holding Dates exactly as superjson does, whatever their keys and nesting', () => {
    // Keys superjson must escape in its paths, Dates valid and not, at any depth, among the other JSON values.
    const key = fc.oneof(fc.string(), fc.constantFrom('a.b', 'c\\d', '.', '\\', '\\.', '0', '10'));
    const leaf = fc.oneof(fc.date({ noInvalidDate: false }), fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    const values = fc.oneof(
      fc.anything({ key, values: [leaf], maxDepth: 4 }),
      fc.date({ noInvalidDate: false }),
      fc.dictionary(key, fc.array(fc.record({ at: fc.date({ noInvalidDate: false }), n: fc.integer() }))),
    );
    fc.assert(
      fc.property(values, (value) => {
        expect(outcome(transformer.serialize, value)).toBe(outcome((v) => superjson.serialize(v), value));
      }),
      { numRuns: 2000 },
    );
  });

  it('sends an answer with Dates without superjson, and the client reads the Dates back', () => {
    const answer = { partner: { id: 'p1', createdAt: new Date('2026-01-02T03:04:05.678Z'), 'a.b': [new Date(0)] }, total: 1 };
    const serialized = transformer.serialize(answer) as { json: unknown; meta: { values: Record<string, string[]> } };
    expect(serialized.json).toBe(answer);
    expect(serialized.meta.values).toEqual({ 'partner.createdAt': ['Date'], 'partner.a\\.b.0': ['Date'] });
    expect(transformer.deserialize(JSON.parse(wire(serialized)))).toEqual(answer);
  });

  it('hands a repeated object to superjson, which records the repetition for the client', () => {
    const shared = { id: 1 };
    const answer = { first: shared, second: shared, list: [shared] };
    const serialized = transformer.serialize(answer);
    expect(serialized).toEqual(superjson.serialize(answer));
    expect(serialized.meta.referentialEqualities).toBeDefined();
    const back = transformer.deserialize(JSON.parse(wire(serialized))) as typeof answer;
    expect(back.first).toBe(back.second);
  });

  it('sends plain JSON as is, and reads it back equal', () => {
    const answer = { received: 2, created: [{ id: 1, reason: null }, { id: 2, reason: 'x' }], duplicates: [] };
    const serialized = transformer.serialize(answer);
    expect(serialized).toEqual({ json: answer });
    expect(transformer.deserialize(JSON.parse(wire(serialized)))).toEqual(answer);
  });
});
