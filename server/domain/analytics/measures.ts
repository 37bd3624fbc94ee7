/** Money in one currency: integer minor units and an ISO 4217 code. */
export interface Money {
  currency: string;
  amount: number;
}

/**
 * A ratio kept exact: the two counts (or amounts), plus basis points rounded half up for display; `basisPoints` is
 * null when the denominator is 0.
 */
export interface Rate {
  numerator: number;
  denominator: number;
  basisPoints: number | null;
}

export function rate(numerator: number, denominator: number): Rate {
  if (denominator === 0) return { numerator, denominator, basisPoints: null };
  return { numerator, denominator, basisPoints: Math.floor((numerator * 20_000 + denominator) / (2 * denominator)) };
}

/** Sums amounts per currency; `list()` gives the non-zero ones ordered by currency. */
export class MoneyTotals {
  private readonly byCurrency = new Map<string, number>();

  add(currency: string, amount: number): this {
    this.byCurrency.set(currency, (this.byCurrency.get(currency) ?? 0) + amount);
    return this;
  }

  list(): Money[] {
    return [...this.byCurrency]
      .filter(([, amount]) => amount !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, amount]) => ({ currency, amount }));
  }
}

/** Groups rows by a key, keeping first-seen order. */
export function groupBy<T, K>(rows: T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
