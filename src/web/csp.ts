import { createHash } from 'node:crypto';

// The page's Content-Security-Policy. It loads nothing but its own files; the one inline thing
// it allows is the stylesheet the vendored JSMpeg bundle injects at load, by that stylesheet's
// hash, so the browser no longer refuses it (a console error on every load) and still refuses
// any other.

/** `'sha256-…'`, the CSP source that allows exactly this inline text. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The policy, with the hashes of the inline `<style>` texts the page may add. */
export function contentSecurityPolicy(styleHashes: readonly string[] = []): string {
  const styleSrc = ["'self'", ...styleHashes].join(' ');
  return `default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src ${styleSrc}; script-src 'self'`;
}

const STYLE_ELEMENT = 'createElement("style")';
/** The call right after the style-inject helper (rollup-plugin-postcss's): `}}("css text"`. */
const INJECT_CALL = /^\s*\}\s*\}\s*\(\s*"((?:[^"\\\n]|\\.)*)"/;

/**
 * The stylesheet a bundle injects with the style-inject helper, as the browser will see it, or
 * undefined when the bundle has no such call (another version of the package): the page then
 * works as before, with the browser refusing the unused styles.
 */
export function injectedStylesheet(bundle: string): string | undefined {
  const element = bundle.indexOf(STYLE_ELEMENT);
  if (element < 0) return undefined;
  // The helper's body ends within a few hundred characters of creating the element.
  const close = bundle.indexOf('}}(', element);
  if (close < 0 || close - element > 1000) return undefined;
  const match = INJECT_CALL.exec(bundle.slice(close));
  if (!match) return undefined;
  try {
    return JSON.parse(`"${match[1]}"`) as string;
  } catch {
    return undefined; // an escape JSON does not share with JavaScript: no hash rather than a wrong one
  }
}
