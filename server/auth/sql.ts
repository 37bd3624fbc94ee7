import { rulesToAST } from '@casl/ability/extra';
import {
  and,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  not,
  notInArray,
  or,
  sql,
  type Column,
  type SQL,
} from 'drizzle-orm';
import type { Action, AppAbility, SubjectType } from './abilities.js';

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

export type ColumnMap = Record<string, Column>;

/**
 * Turns what an ability allows for (action, subject type) into a SQL condition, so a list query returns exactly
 * the rows the caller may see. No permission gives `false`; an unconditional one gives `true`.
 * `columns` maps each field a rule may name to its column; a rule naming an unmapped field is a programming error.
 */
export function accessibleWhere(ability: AppAbility, action: Action, subject: SubjectType, columns: ColumnMap): SQL {
  const ast = rulesToAST(ability, action, subject) as AstNode | null;
  if (!ast) return sql`false`;
  return toSql(ast, columns, subject) ?? sql`true`;
}

function toSql(node: AstNode, columns: ColumnMap, subject: string): SQL | undefined {
  switch (node.operator) {
    case 'and':
    case 'or': {
      const parts = (node.value as AstNode[]).map((child) => toSql(child, columns, subject) ?? sql`true`);
      if (parts.length === 0) return undefined;
      return node.operator === 'and' ? and(...parts) : or(...parts);
    }
    case 'not': {
      // CASL treats a condition on NULL as false, SQL as unknown, and NOT unknown is still unknown.
      const [child] = node.value as AstNode[];
      return child ? not(sql`coalesce(${toSql(child, columns, subject) ?? sql`true`}, false)`) : undefined;
    }
  }
  const column = node.field === undefined ? undefined : columns[node.field];
  if (!column) {
    throw new Error(`No column mapped for ${subject}.${node.field ?? '?'} in an authorization rule`);
  }
  const value = node.value;
  switch (node.operator) {
    case 'eq':
      return value === null ? isNull(column) : eq(column, value);
    // For CASL a NULL field differs from every value and is in no list.
    case 'ne':
      return value === null ? isNotNull(column) : or(isNull(column), ne(column, value));
    case 'in':
      return inArray(column, value as unknown[]);
    case 'nin':
      return or(isNull(column), notInArray(column, value as unknown[]));
    case 'lt':
      return lt(column, value);
    case 'lte':
      return lte(column, value);
    case 'gt':
      return gt(column, value);
    case 'gte':
      return gte(column, value);
    default:
      throw new Error(`Authorization operator ${node.operator} has no SQL translation`);
  }
}
