/**
 * The jobs page's script. Built (`dist/`): the bundle `npm run build` wrote beside it. From the
 * TypeScript sources (tests, `npm run cli`): bundled on first use with esbuild, a
 * devDependency, so an edit under web/ is never hidden by an older bundle.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package root, the same from `src/server/jobs-page/` and `dist/server/jobs-page/`. */
const ROOT = new URL('../../../', import.meta.url);
const FROM_SOURCES = import.meta.url.endsWith('.ts');

interface WebBuild {
  bundleJobsPage(): Promise<string>;
}

export class JobsScriptMissing extends Error {}

async function load(): Promise<string> {
  if (FROM_SOURCES) {
    const build = (await import(
      pathToFileURL(fileURLToPath(new URL('scripts/build-web.mjs', ROOT))).href
    )) as WebBuild;
    return build.bundleJobsPage();
  }
  const bundle = new URL('dist/web/jobs-page.js', ROOT);
  try {
    return await readFile(bundle, 'utf8');
  } catch (cause) {
    throw new JobsScriptMissing(
      `The jobs page script ${fileURLToPath(bundle)} is missing: run "npm run build" (it bundles web/ too).`,
      { cause },
    );
  }
}

let script: Promise<string> | undefined;

/** Loaded once per process; a failed load is retried on the next request. */
export function jobsScript(): Promise<string> {
  script ??= load().catch((error: unknown) => {
    script = undefined;
    throw error;
  });
  return script;
}
