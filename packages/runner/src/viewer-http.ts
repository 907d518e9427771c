import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web viewer's files: plain HTML, CSS and ES modules in packages/runner/viewer, shipped in
 * the package (no CDN, works offline). `../viewer/` is the same place from src/ (tests) and
 * dist/ (the built CLI).
 */
export const VIEWER_DIR = fileURLToPath(new URL('../viewer/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The pages hold no data (they fetch it from /v1 with the caller's credentials), so they are
// served without a token; a strict CSP keeps the page to its own scripts even if a transcript
// or caption tried to inject markup.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface ViewerFiles {
  /** Serves a viewer page or asset; false when the path is not the viewer's. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

/** The viewer's routes: `/` (library), `/videos/{id}` (one video), `/viewer/{file}` (assets). */
export async function createViewerFiles(dir = VIEWER_DIR): Promise<ViewerFiles> {
  // Only files that exist when the server starts, by exact name: no path from the URL reaches the file system.
  const names = new Set((await readdir(dir)).filter((n) => Object.hasOwn(TYPES, extname(n))));
  const serve = async (req: IncomingMessage, res: ServerResponse, name: string) => {
    const body = await readFile(`${dir}${name}`);
    res.writeHead(200, {
      'content-type': TYPES[extname(name)]!,
      'content-length': body.length,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  return {
    async handle(req, res, path) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (path === '/' || path === '/index.html') {
        await serve(req, res, 'index.html');
        return true;
      }
      // The id is read by the page from its own URL and checked by the API it calls.
      if (/^\/videos\/[^/]+$/.test(path)) {
        await serve(req, res, 'video.html');
        return true;
      }
      const asset = /^\/viewer\/([^/]+)$/.exec(path)?.[1];
      if (asset !== undefined && names.has(asset)) {
        await serve(req, res, asset);
        return true;
      }
      return false;
    },
  };
}
