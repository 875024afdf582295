/**
 * Canonical JSON (docs/evidence.md#canonical-json), the form every hash of the evidence chain is
 * taken over, so that central can recompute a hash from the event it received. It follows RFC
 * 8785 (JCS): object members sorted by their names' UTF-16 code units, no whitespace, strings
 * and numbers written as ECMAScript's JSON.stringify writes them. As JSON.stringify, it drops
 * members whose value is undefined or a function, calls toJSON and writes NaN and Infinity as
 * null (RFC 8785 would refuse them; a lane's event must not be lost to a NaN, and the null is
 * what is stored and hashed); it refuses a BigInt or a cycle, naming where it was found.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
}

function write(value: unknown, path: string, open: Set<object>): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON(key: string): unknown }).toJSON('');
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return JSON.stringify(value); // 'null' for NaN and ±Infinity
    case 'bigint':
      throw new CanonicalJsonError(`${path}: a BigInt has no JSON form`);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${path}: a ${typeof value} has no JSON form`);
  }
  if (value === null) return 'null';
  if (open.has(value)) throw new CanonicalJsonError(`${path}: refers back to itself`);
  open.add(value);
  let text: string;
  if (Array.isArray(value)) {
    // As JSON.stringify: an array keeps its length, so what has no JSON form becomes null.
    text = `[${value.map((item: unknown, i) => (skipped(item) ? 'null' : write(item, `${path}[${i}]`, open))).join(',')}]`;
  } else {
    const members: string[] = [];
    for (const key of Object.keys(value).sort(byCodeUnits)) {
      const item = (value as Record<string, unknown>)[key];
      if (skipped(item)) continue;
      members.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`, open)}`);
    }
    text = `{${members.join(',')}}`;
  }
  open.delete(value);
  return text;
}

function skipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** RFC 8785 orders names by UTF-16 code units: what `<` on JS strings compares. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
