import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Issue 26, item 7: a LICENSE that matches package.json, and THIRD-PARTY-NOTICES.md for what
// is shipped. Its generated parts come from scripts/lib/third-party.mjs (plain ESM JavaScript).
interface ThirdPartyModule {
  generatedBlocks(root: string): Record<string, string>;
  currentBlock(doc: string, name: string): string | null;
}
interface PlateArtModule {
  PLATE_FONTS: { family: string; package: string }[];
}
// Imported by URL so the type checker leaves the JavaScript modules alone.
const thirdParty = new URL('../../scripts/lib/third-party.mjs', import.meta.url).href;
const plateArt = new URL('../../scripts/lib/plate-art.mjs', import.meta.url).href;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(new URL(path, `file://${ROOT}`), 'utf8');
/** The Apache License 2.0 as apache.org and Debian's /usr/share/common-licenses/Apache-2.0 publish it. */
const APACHE_2_SHA256 = 'cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30';

describe('LICENSE', () => {
  it("is the Apache License 2.0, unchanged, as package.json's licence says", () => {
    expect((JSON.parse(read('package.json')) as { license: string }).license).toBe('Apache-2.0');
    expect(createHash('sha256').update(read('LICENSE')).digest('hex')).toBe(APACHE_2_SHA256);
  });
});

describe('THIRD-PARTY-NOTICES.md', () => {
  it('matches what npm run third-party writes (dependencies, models, the JSMpeg licence)', async () => {
    const { generatedBlocks, currentBlock } = (await import(thirdParty)) as ThirdPartyModule;
    const doc = read('THIRD-PARTY-NOTICES.md');
    for (const [name, block] of Object.entries(generatedBlocks(ROOT)))
      expect(currentBlock(doc, name), `${name}: regenerate with \`npm run third-party\``).toBe(block);
  });

  it('names the Debian package of every font the plates are drawn with', async () => {
    const { PLATE_FONTS } = (await import(plateArt)) as PlateArtModule;
    const doc = read('THIRD-PARTY-NOTICES.md');
    for (const font of PLATE_FONTS) expect(doc).toContain(`\`${font.package}\``);
  });

  it('is linked from the README', () => {
    expect(read('README.md')).toContain('](THIRD-PARTY-NOTICES.md)');
  });
});

describe('npm pack', () => {
  it('packs LICENSE and THIRD-PARTY-NOTICES.md', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], {
      cwd: ROOT,
    });
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'THIRD-PARTY-NOTICES.md', 'package.json']));
  });
});
