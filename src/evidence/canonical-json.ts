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
  try {
    return write(value, []);
  } catch (err) {
    if (err instanceof Unwritable) throw new CanonicalJsonError(`$${err.path.join('')}: ${err.message}`);
    throw err;
  }
}

export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
}

/** Raised where a value cannot be written; each level it passes adds its key, so no path is built unless needed. */
class Unwritable extends Error {
  readonly path: string[] = [];
}

// On the append path of every event: strings are concatenated, not joined, and the path of a
// member is built only when something under it cannot be written.
function write(value: unknown, open: object[]): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON(key: string): unknown }).toJSON('');
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return JSON.stringify(value); // 'null' for NaN and ±Infinity
    case 'bigint':
      throw new Unwritable('a BigInt has no JSON form');
    case 'object':
      break;
    default:
      throw new Unwritable(`a ${typeof value} has no JSON form`);
  }
  if (value === null) return 'null';
  if (open.includes(value)) throw new Unwritable('refers back to itself');
  open.push(value);
  let text: string;
  if (Array.isArray(value)) {
    // As JSON.stringify: an array keeps its length, so what has no JSON form becomes null.
    text = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) text += ',';
      text += skipped(item) ? 'null' : member(item, `[${i}]`, open);
    }
    text += ']';
  } else {
    text = '{';
    let first = true;
    // The default sort compares UTF-16 code units, which is RFC 8785's order.
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (skipped(item)) continue;
      text += `${first ? '' : ','}${quote(key)}:${member(item, `.${key}`, open)}`;
      first = false;
    }
    text += '}';
  }
  open.pop();
  return text;
}

function member(item: unknown, step: string, open: object[]): string {
  try {
    return write(item, open);
  } catch (err) {
    if (err instanceof Unwritable) err.path.unshift(step);
    throw err;
  }
}

/** Printable ASCII without `"` or `\\`: written as it is, inside quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string as JSON.stringify writes it; most names and values need no escape, and skip its call. */
function quote(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

function skipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}
