import type { DataTransformer } from '@trpc/server';
import superjson from 'superjson';

/**
 * superjson, with a fast path for answers that are plain JSON already: strings, finite numbers other than -0,
 * booleans, null, arrays and plain objects, no object twice, no key superjson refuses. For those superjson writes
 * `{ json: value }` with the value unchanged, but only after its walk: 5.2 ms for the 1,000 rows `referrals.ingest`
 * answers, where checking the value takes 0.16 ms. Anything else goes through superjson.
 */
export const transformer: DataTransformer = {
  serialize: (value: unknown) => (isPlainJson(value, new Set()) ? { json: value } : superjson.serialize(value)),
  // The value is a body the HTTP handler has just parsed and holds no other reference to, so superjson may annotate it
  // in place (as its own `parse` does) instead of deep-copying it first: 1,000 ingested events are 1,000 objects.
  deserialize: (value: Parameters<typeof superjson.deserialize>[0]) => superjson.deserialize(value, { inPlace: true }),
};

const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainJson(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      // superjson records a repeated object as a referential equality.
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        // A hole (a sparse array) is not JSON either.
        for (let index = 0; index < value.length; index++) {
          if (!(index in value) || !isPlainJson(value[index], seen)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        // superjson refuses these keys (prototype pollution); it must be the one to answer.
        if (REFUSED_KEYS.has(key) || !isPlainJson((value as Record<string, unknown>)[key], seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
