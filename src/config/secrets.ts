import { z } from 'zod';

/**
 * Config fields whose values are secrets (a broker password): a config error names the field
 * and the type that was found there, never the value, since problems go to a terminal, a log or
 * a support ticket. Paths to files holding keys are not secrets (the file is), nor are public
 * keys. Mark a field by building it with `secret()`.
 */
export const secretFields = z.registry();

/** A non-empty string whose value is never printed in a config error. */
export function secret(): z.ZodString {
  const schema = z.string().min(1);
  secretFields.add(schema);
  return schema;
}

type Schema = z.core.$ZodType;

/**
 * True when `path` (a zod issue's) leads from `root` to a field marked with `secret()`, through
 * mappings, lists, optional/default wrappers and unions (any branch that is secret counts).
 */
export function isSecretPath(root: Schema, path: readonly PropertyKey[]): boolean {
  let candidates = [root];
  for (const key of path) {
    candidates = candidates.flatMap((schema) => unwrap(schema)).flatMap((schema) => child(schema, key));
    if (candidates.length === 0) return false;
  }
  return candidates.some((schema) => unwrap(schema).some((s) => secretFields.has(s)) || secretFields.has(schema));
}

/** The schema itself and what it wraps, outermost first. */
function unwrap(schema: Schema, depth = 0): Schema[] {
  if (depth > 32) return [schema];
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner: Schema[] = [];
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      inner.push(def.innerType as Schema);
      break;
    case 'pipe':
      inner.push(def.in as Schema, def.out as Schema);
      break;
    case 'lazy':
      inner.push((def.getter as () => Schema)());
      break;
    case 'union':
      inner.push(...(def.options as Schema[]));
      break;
    case 'intersection':
      inner.push(def.left as Schema, def.right as Schema);
      break;
  }
  return [schema, ...inner.flatMap((s) => unwrap(s, depth + 1))];
}

/** The schema one path step below `schema` (a mapping key or a list index). */
function child(schema: Schema, key: PropertyKey): Schema[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, Schema>;
      if (typeof key === 'string' && Object.hasOwn(shape, key)) return [shape[key]!];
      return def.catchall ? [def.catchall as Schema] : [];
    }
    case 'array':
      return typeof key === 'number' ? [def.element as Schema] : [];
    case 'tuple': {
      const items = def.items as Schema[];
      return typeof key === 'number' && items[key] ? [items[key]] : def.rest ? [def.rest as Schema] : [];
    }
    case 'record':
      return [def.valueType as Schema];
    default:
      return [];
  }
}
