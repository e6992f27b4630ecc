#!/usr/bin/env node
// `npm start -- <options>` = `cachegate serve <options>` from a fresh clone (DESIGN §5):
// builds dist/ first when it is missing or older than the sources, then runs the built CLI
// in this same process, so Ctrl-C and SIGTERM reach the server without any forwarding.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist', 'cli', 'main.js');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestIn(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestIn(path) : (mtime(path) ?? 0));
  }
  return newest;
}

// The jobs page's bundle is part of the build: a missing one (an older dist/) rebuilds too.
const bundle = mtime(join(root, 'dist', 'web', 'jobs-page.js'));
const built = bundle === undefined ? undefined : Math.min(mtime(entry) ?? 0, bundle) || undefined;
const sources = Math.max(
  newestIn(join(root, 'src')),
  newestIn(join(root, 'web')),
  mtime(join(root, 'tsconfig.json')) ?? 0,
  mtime(join(root, 'tsconfig.build.json')) ?? 0,
);
if (built === undefined || built < sources) {
  console.error(built === undefined ? 'cachegate: building dist/ (first start)...' : 'cachegate: sources changed, rebuilding dist/...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0 || mtime(entry) === undefined) {
    console.error('cachegate: the build failed, see above (or run "npm run build").');
    process.exit(result.status || 1);
  }
}

process.argv = [process.argv[0], entry, 'serve', ...process.argv.slice(2)];
await import(pathToFileURL(entry).href);
