import type { HelperDelegate } from 'handlebars';
import { z } from 'zod';

type Node = { type: string; [key: string]: unknown };
type PathNode = Node & { original: string; parts: string[]; data: boolean; depth: number; head?: unknown };

/** Block helpers that change the context inside their block: paths there refer to the item, not the variables. */
const CONTEXT_CHANGING = new Set(['each', 'with']);

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodNullable || current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** Whether `parts` names something the schema declares: each step into an object must be one of its keys. */
function declared(schema: z.ZodType, parts: string[]): boolean {
  let current = unwrap(schema);
  for (const part of parts) {
    if (!(current instanceof z.ZodObject)) return true;
    const next = (current.shape as Record<string, z.ZodType>)[part];
    if (!next) return false;
    current = unwrap(next);
  }
  return true;
}

/**
 * Names of variables a template uses that its variable schema does not declare. Handlebars' strict mode only
 * catches a missing variable when a mustache renders it, not when it is a helper argument or an `#if` condition,
 * so templates are also checked statically against their kind's schema.
 */
export function checkTemplateVariables(ast: unknown, variables: z.ZodObject, helpers: Record<string, HelperDelegate>): string[] {
  const unknown = new Set<string>();

  const checkPath = (path: PathNode, inRootScope: boolean) => {
    if (path.data) {
      if (path.parts[0] === 'root' && !declared(variables, path.parts.slice(1))) unknown.add(path.original);
      return;
    }
    if (!inRootScope || path.depth > 0 || path.parts.length === 0) return;
    if (!declared(variables, path.parts)) unknown.add(path.original);
  };

  const checkExpression = (node: Node | undefined, inRootScope: boolean) => {
    if (!node) return;
    if (node.type === 'PathExpression') checkPath(node as PathNode, inRootScope);
    if (node.type === 'SubExpression') checkCall(node, inRootScope);
  };

  const checkCall = (node: Node, inRootScope: boolean) => {
    const params = (node.params as Node[] | undefined) ?? [];
    const pairs = ((node.hash as { pairs?: { value: Node }[] } | undefined)?.pairs ?? []).map((pair) => pair.value);
    const path = node.path as PathNode;
    const isHelperCall = params.length > 0 || pairs.length > 0 || (path.type === 'PathExpression' && path.original in helpers);
    if (!isHelperCall) checkExpression(path, inRootScope);
    for (const argument of [...params, ...pairs]) checkExpression(argument, inRootScope);
  };

  const walk = (node: Node | undefined, inRootScope: boolean) => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const child of node.body as Node[]) walk(child, inRootScope);
        return;
      case 'MustacheStatement':
        checkCall(node, inRootScope);
        return;
      case 'BlockStatement': {
        checkCall(node, inRootScope);
        const helper = (node.path as PathNode).original;
        walk(node.program as Node | undefined, inRootScope && !CONTEXT_CHANGING.has(helper));
        walk(node.inverse as Node | undefined, inRootScope);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        for (const argument of (node.params as Node[] | undefined) ?? []) checkExpression(argument, inRootScope);
        return;
    }
  };

  walk(ast as Node, true);
  return [...unknown];
}
