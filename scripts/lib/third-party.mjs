// The generated parts of THIRD-PARTY-NOTICES.md: the npm packages the gate runs (from
// package.json, package-lock.json and each installed package's own package.json), the data each
// of the project's models was trained on (from the models' manifests), and the licence text of
// the video player the daemon serves to browsers. scripts/gen-third-party.mjs writes them;
// test/unit/third-party-notices.test.ts fails when the committed file differs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const START = (name) => `<!-- generated: ${name} (npm run third-party) -->`;
const END = (name) => `<!-- /generated: ${name} -->`;

/** The player served at /vendor/jsmpeg-player.umd.min.js (src/web/static-files.ts). */
export const JSMPEG = '@cycjimmy/jsmpeg-player';

/**
 * Training folders made by the project's scripts from a real set, named in the manifests without
 * a licence of their own: the set their images come from, and how.
 */
const DERIVED = {
  'tollgate-boxes': {
    from: 'cn-hyperlpr-tollgate',
    how: "its training frames with plate boxes from ppocr's reads (`scripts/train/teacher-boxes.mjs`); nothing copied",
  },
};

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** A package.json `repository` as a browsable URL, or '' when it has none. */
export function repositoryUrl(repository) {
  let url = typeof repository === 'string' ? repository : (repository?.url ?? '');
  if (/^[\w.-]+\/[\w.-]+$/.test(url)) url = `github:${url}`;
  url = url
    .replace(/^github:/, 'https://github.com/')
    .replace(/^git\+/, '')
    .replace(/^git:\/\//, 'https://')
    .replace(/^git@github\.com:/, 'https://github.com/')
    .replace(/\.git$/, '');
  return url;
}

const cell = (text) => String(text).replace(/\|/g, '\\|');
const row = (cells) => `| ${cells.map(cell).join(' | ')} |`;

/** The name of a package-lock.json `packages` key: `node_modules/a/node_modules/@s/b` → `@s/b`. */
const lockName = (key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * The runtime dependencies: version from package-lock.json, licence and repository from the
 * installed package's own package.json; then every other package npm installs with them (not
 * dev), as the lock records it.
 */
export function npmBlock(root) {
  const pkg = readJson(join(root, 'package.json'));
  const lock = readJson(join(root, 'package-lock.json'));
  const direct = Object.keys(pkg.dependencies ?? {}).sort();
  const lines = [
    START('npm'),
    `The runtime dependencies in \`package.json\` (${direct.length}), at the versions \`package-lock.json\` pins, with the`,
    "licence each package's own `package.json` gives:",
    '',
    row(['package', 'version', 'licence', 'source']),
    '| --- | --- | --- | --- |',
  ];
  for (const name of direct) {
    const locked = lock.packages?.[`node_modules/${name}`];
    if (!locked) throw new Error(`package-lock.json has no node_modules/${name}: run npm install`);
    const installed = readJson(join(root, 'node_modules', name, 'package.json'));
    if (installed.version !== locked.version)
      throw new Error(
        `node_modules/${name} is ${installed.version}, package-lock.json says ${locked.version}: run npm ci`,
      );
    lines.push(
      row([`\`${name}\``, locked.version, installed.license ?? 'none given', repositoryUrl(installed.repository)]),
    );
  }

  const others = Object.entries(lock.packages ?? {})
    .filter(([key, p]) => key.startsWith('node_modules/') && !p.dev && !p.link)
    .filter(([key]) => !direct.some((name) => key === `node_modules/${name}`))
    .map(([key, p]) => ({ name: lockName(key), ...p }))
    .sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
  const byLicence = new Map();
  for (const p of others) byLicence.set(p.license ?? 'none given', (byLicence.get(p.license ?? 'none given') ?? 0) + 1);
  const tally = [...byLicence]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([licence, n]) => `${licence} ${n}`)
    .join(', ');
  lines.push(
    '',
    `npm installs ${others.length} more packages with them (what they depend on; none of the dev tools), as`,
    '`package-lock.json` records them. The optional ones are prebuilt native parts for one platform each:',
    'npm installs only those that match the machine. Their licences, counted:',
    '',
    tally,
    '',
    row(['package', 'version', 'licence', 'only on']),
    '| --- | --- | --- | --- |',
  );
  for (const p of others) {
    const platform = p.optional
      ? [p.os?.join('/'), p.cpu?.join('/'), p.libc?.join('/')].filter(Boolean).join(' ') || 'optional, any platform'
      : '';
    lines.push(row([`\`${p.name}\``, p.version, p.license ?? 'none given', platform]));
  }
  lines.push(END('npm'));
  return lines.join('\n');
}

/** Per model in models/, the data it was trained on, as its manifest records it. */
export function modelsBlock(root) {
  const manifests = readdirSync(join(root, 'models'))
    .filter((f) => f.endsWith('.manifest.json'))
    .sort()
    .map((f) => readJson(join(root, 'models', f)));
  const licences = new Map();
  for (const m of manifests) for (const d of m.data) if (d.licence) licences.set(d.name, d.licence);
  const lines = [START('models')];
  for (const m of manifests) {
    lines.push(
      '',
      `\`${m.model}\` (sha256 \`${m.sha256.slice(0, 12)}…\`, trained by \`${m.training.script}\`):`,
      '',
      row(['data', 'what it is', 'licence or use note']),
      '| --- | --- | --- |',
    );
    for (const d of m.data) {
      const derived = DERIVED[d.name];
      const weight = d.repeat === 0 ? ' Listed with weight 0: not drawn in training.' : '';
      let what;
      let licence;
      if (derived) {
        what = `\`${derived.from}\`: ${derived.how}`;
        licence = licences.get(derived.from);
        if (!licence)
          throw new Error(`${m.model}: ${d.name} comes from ${derived.from}, whose licence no manifest records`);
      } else if (d.synthetic?.generator) {
        const seed = d.synthetic.seed === undefined ? '' : `, seed ${d.synthetic.seed}`;
        what = `synthetic, made by the project's \`${d.synthetic.generator}\`${seed}`;
        licence = "the project's own (fonts from Debian packages, below)";
      } else {
        if (!d.licence) throw new Error(`${m.model}: ${d.name} has no licence note in its manifest`);
        what = `\`../shared/datasets/${d.name}\`${d.kind ? ` (${d.kind})` : ''}`;
        licence = d.licence;
      }
      lines.push(row([`\`${d.name}\``, `${what}.${weight}`, licence]));
    }
  }
  lines.push(END('models'));
  return lines.join('\n');
}

/** The JSMpeg package's LICENSE file, as it is. */
export function jsmpegLicenceBlock(root) {
  const dir = join(root, 'node_modules', JSMPEG);
  const { version } = readJson(join(dir, 'package.json'));
  const text = readFileSync(join(dir, 'LICENSE'), 'utf8').trimEnd();
  return [
    START('jsmpeg-licence'),
    `\`node_modules/${JSMPEG}/LICENSE\` (version ${version}):`,
    '',
    '```text',
    text,
    '```',
    END('jsmpeg-licence'),
  ].join('\n');
}

/** Every generated block, by name. */
export function generatedBlocks(root) {
  return { npm: npmBlock(root), models: modelsBlock(root), 'jsmpeg-licence': jsmpegLicenceBlock(root) };
}

/** The block `name` in `doc`, markers included, or null when its markers are missing. */
export function currentBlock(doc, name) {
  const start = doc.indexOf(START(name));
  const end = doc.indexOf(END(name));
  return start < 0 || end < start ? null : doc.slice(start, end + END(name).length);
}

/** `doc` with each of `blocks` put in place of the one it holds. */
export function replaceBlocks(doc, blocks) {
  let out = doc;
  for (const [name, block] of Object.entries(blocks)) {
    const current = currentBlock(out, name);
    if (current === null) throw new Error(`THIRD-PARTY-NOTICES.md: no ${START(name)} … ${END(name)} block`);
    out = out.replace(current, () => block);
  }
  return out;
}
