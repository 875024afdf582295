import { z } from 'zod';

/**
 * Building blocks shared by the config sections. Messages set here are the exact text users
 * read after the field path (see issues.ts), so they say what was expected in plain words.
 */

/** Lowercase words joined by single dashes: used in topic names, file names and URLs. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const slug = () =>
  z
    .string()
    .max(64)
    .regex(SLUG_PATTERN, { error: 'expected a slug: lowercase letters, digits and single dashes (e.g. mlt-kth)' });

export const nonEmptyString = () => z.string().min(1);

/**
 * A whole number. Not `z.int()`: a fraction there aborts the whole parse, which would hide
 * the cross-field problems (duplicate lane ids) from the same run; `multipleOf(1)` does not.
 * json-schema.ts writes it as `"type": "integer"`.
 */
export const integer = () => z.number().multipleOf(1);

/** A duration or interval in whole milliseconds, > 0. */
export const positiveMs = () => integer().positive();

/** A whole number of pixels, ≥ 0. */
export const pixels = () => integer().nonnegative();

/** Whether `name` is an IANA time zone this Node knows (Asia/Ho_Chi_Minh, Asia/Shanghai...). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
