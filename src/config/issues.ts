import type { z } from 'zod';
import { isSecretPath } from './secrets.js';

/**
 * Turns zod issues into one line each, `path: what was wrong`, in the words of a YAML file
 * (mapping, list) rather than of JavaScript. Issues carry the offending input only when parsed
 * with `{ reportInput: true }` (parseConfig does); without it the lines say less about what
 * was found. Given the schema that was parsed, a field it marks as a secret (secrets.ts) is
 * described by the type of what was found, never its value.
 */
export function formatConfigIssues(error: z.ZodError, schema?: z.core.$ZodType): string[] {
  return error.issues.flatMap((issue) => {
    const where = formatPath(issue.path);
    const secret = schema !== undefined && isSecretPath(schema, issue.path);
    return describeIssue(issue, secret).map((what) => `${where}: ${what}`);
  });
}

/** `lanes[1].camera.url`; the document root is `(top level)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(top level)';
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue, secret: boolean): string[] {
  const found = (i: Issue) => (secret ? foundType(i) : foundValue(i));
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `unknown key "${key}"`);
    case 'invalid_type':
      if (isMissing(issue)) return ['required'];
      return [`expected ${typeName(issue.expected)}${found(issue)}`];
    case 'invalid_value':
      return [
        `expected ${issue.values.map((v) => JSON.stringify(v)).join(issue.values.length === 2 ? ' or ' : ', ')}${found(issue)}`,
      ];
    case 'too_small':
      return [bound('at least', 'greater than', issue.origin, issue.minimum, issue.inclusive)];
    case 'too_big':
      return [bound('at most', 'less than', issue.origin, issue.maximum, issue.inclusive)];
    case 'not_multiple_of':
      // Whole numbers are multipleOf(1), see fields.ts.
      if (Number(issue.divisor) === 1) return [`expected an integer${found(issue)}`];
      return [`must be a multiple of ${String(issue.divisor)}${found(issue)}`];
    default:
      // custom rules, formats (our schemas give these their messages), unions and the rest.
      return [issue.message];
  }
}

function isMissing(issue: Issue): boolean {
  if ('input' in issue) return issue.input === undefined;
  return /received undefined$/.test(issue.message);
}

/** `, got "fast"`, or nothing when the issue does not carry the input. */
function foundValue(issue: Issue): string {
  if (!('input' in issue)) return '';
  return `, got ${describeValue(issue.input)}`;
}

/** `, got a number`: for a secret, what kind of value was found but not the value. */
function foundType(issue: Issue): string {
  if (!('input' in issue)) return '';
  const value = issue.input;
  if (value === undefined || value === null || Array.isArray(value) || typeof value === 'object')
    return `, got ${describeValue(value)}`;
  const kinds: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    bigint: 'a number',
    boolean: 'a boolean',
  };
  return `, got ${kinds[typeof value] ?? 'a value'}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function typeName(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
  };
  return names[expected] ?? expected;
}

function bound(
  inclusiveWord: string,
  exclusiveWord: string,
  origin: string,
  limit: number | bigint,
  inclusive?: boolean,
): string {
  const comparison = inclusive === false ? exclusiveWord : inclusiveWord;
  switch (origin) {
    case 'array':
    case 'set':
      return `must have ${comparison} ${String(limit)} item${limit === 1 ? '' : 's'}`;
    case 'string':
      return limit === 1 && inclusiveWord === 'at least'
        ? 'must not be empty'
        : `must be ${comparison} ${String(limit)} characters long`;
    default:
      return `must be ${comparison} ${String(limit)}`;
  }
}
