import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError, sendBytes } from './router.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The page's directory: beside this module when run from src/ (tests, tsx), and back in the
 * source tree when run from dist/web/ (tsc does not copy the static files).
 */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'static'), resolve(here, '../../src/web/static')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

/** The JSMpeg player, served as /vendor/jsmpeg-player.umd.min.js so the page needs no internet. */
export function jsmpegPlayerPath(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its CJS and ESM builds; the UMD file sits beside the CJS one.
  return join(dirname(require.resolve('@cycjimmy/jsmpeg-player')), 'jsmpeg-player.umd.min.js');
}

/** Files under one directory by URL path; nothing outside it, ever. */
export class StaticFiles {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** `relative` is the URL path below the mount point, still percent-encoded. 404 for anything not a file inside the root. */
  async serve(res: ServerResponse, relative: string): Promise<void> {
    const path = this.resolveInside(relative);
    await sendFile(res, path);
  }

  /** The absolute path of a URL path below the root; refuses `..`, NUL and anything resolving outside. */
  resolveInside(relative: string): string {
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      throw notFound();
    }
    if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((part) => part === '..'))
      throw notFound();
    const path = resolve(this.root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
    if (path !== this.root && !path.startsWith(this.root + sep)) throw notFound();
    return path;
  }
}

export async function sendFile(res: ServerResponse, path: string): Promise<void> {
  let body: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw notFound();
    body = await readFile(path);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw notFound();
  }
  // Revalidated on each load: the page changes with the daemon, and it is served locally.
  sendBytes(res, 200, contentTypeOf(path), body, { 'Cache-Control': 'no-cache' });
}

function notFound(): HttpError {
  return new HttpError(404, 'not-found', 'no such file');
}
