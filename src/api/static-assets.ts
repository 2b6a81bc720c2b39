import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/** A file of the study page or the widget, held in memory with its validator. */
export interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** URL path → file under `src/web/`: plain files, no build step. */
export const WEB_FILES: Record<string, string> = {
  '/': 'index.html',
  '/assets/app.js': 'app.js',
  '/assets/sse.js': 'sse.js',
  '/assets/app.css': 'app.css',
  '/assets/quiz.js': 'quiz.js',
  '/assets/quiz.css': 'quiz.css',
  '/assets/docs.css': 'docs.css',
  '/assets/favicon.svg': 'favicon.svg',
  '/widget.js': 'widget.js',
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Reads the web files once, from `src/web/` of the package (the same from `src/` and `dist/`). */
export function loadWebAssets(dir: string = join(packageRoot(), 'src', 'web')): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [path, file] of Object.entries(WEB_FILES)) assets.set(path, asset(readFileSync(join(dir, file), 'utf8'), file));
  return assets;
}

export function asset(body: string, file: string): Asset {
  const ext = file.slice(file.lastIndexOf('.') + 1);
  return { body, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}
