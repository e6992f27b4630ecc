#!/usr/bin/env node
// Bundles the jobs page's front-end (web/jobs-page, with the graphql-ws client) into one
// script with esbuild, so the server serves it itself: no CDN, nothing fetched at run time.
// `npm run build` writes dist/web/jobs-page.js; a server running from the TypeScript sources
// (tests, `npm run cli`) calls bundleJobsPage() instead, so it never serves a stale bundle.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const JOBS_PAGE_ENTRY = join(root, 'web', 'jobs-page', 'main.ts');
export const JOBS_PAGE_BUNDLE = join(root, 'dist', 'web', 'jobs-page.js');

/** The bundled script as text. */
export async function bundleJobsPage() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [JOBS_PAGE_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await bundleJobsPage();
  await mkdir(dirname(JOBS_PAGE_BUNDLE), { recursive: true });
  await writeFile(JOBS_PAGE_BUNDLE, text);
  console.error(`built ${JOBS_PAGE_BUNDLE} (${(text.length / 1024).toFixed(1)} KiB)`);
}
