import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, cspHash, injectedStylesheet } from '../../src/web/csp.js';
import { jsmpegPlayerPath } from '../../src/web/static-files.js';

// The shape rollup-plugin-postcss's style-inject helper takes once minified, as in the JSMpeg bundle.
const helper = (literal: string) =>
  `var x=1;!function(A,t){void 0===t&&(t={});var i=t.insertAt;if("undefined"!=typeof document){var e=document.head,` +
  `s=document.createElement("style");s.type="text/css",e.appendChild(s),s.appendChild(document.createTextNode(A))}}(${literal});var y=2;`;

describe('injectedStylesheet', () => {
  it.each([
    ['a plain stylesheet', helper('".a{top:0}.b>svg{fill:#fff}"'), '.a{top:0}.b>svg{fill:#fff}'],
    ['escaped quotes and backslashes', helper('".a:after{content:\\"\\\\2014\\"}"'), '.a:after{content:"\\2014"}'],
    ['an empty stylesheet', helper('""'), ''],
    ['no style element at all', 'var a=document.createElement("div");!function(A){}("x")', undefined],
    ['a style element set from a variable, not a literal', helper('cssText'), undefined],
    ['an escape JavaScript has and JSON has not', helper('".a{content:\\"\\x41\\"}"'), undefined],
    ['a literal far from the element', `document.createElement("style");${' '.repeat(2000)}}}(".a{}")`, undefined],
  ])('%s', (_name, bundle, expected) => {
    expect(injectedStylesheet(bundle)).toBe(expected);
  });

  it('finds the stylesheet of the JSMpeg bundle the page is served', () => {
    const css = injectedStylesheet(readFileSync(jsmpegPlayerPath(), 'utf8'));
    expect(css).toMatch(/^\.[\w-]+[,{]/);
    expect(css).toContain('position:absolute');
  });
});

describe('cspHash', () => {
  // Expected values from `printf TEXT | openssl dgst -sha256 -binary | base64`.
  it.each([
    ['', "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"],
    ['abc', "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"],
    // Hashed as UTF-8, as the browser hashes the element's text.
    ['.a{content:"ô"}', "'sha256-UgpkBVjtIh158Jussac1G7Jgt4dRcWQW0slxSYjo+H8='"],
  ])('%j', (text, expected) => {
    expect(cspHash(text)).toBe(expected);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows only the page itself when no inline style is known', () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'",
    );
  });

  it('adds each hash to style-src and nowhere else', () => {
    const policy = contentSecurityPolicy(["'sha256-AAAA'", "'sha256-BBBB'"]);
    expect(policy).toContain("style-src 'self' 'sha256-AAAA' 'sha256-BBBB';");
    expect(policy).toContain("script-src 'self'");
    expect(policy.match(/sha256/g)).toHaveLength(2);
  });
});
