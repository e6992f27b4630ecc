/**
 * Runs the real `cachegate` CLI (src/cli/main.ts through tsx's loader) as a child process in a
 * temp folder, the way a user would, and returns what it printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(root, 'src', 'cli', 'main.ts');
// By absolute URL: resolving "tsx" from the temp cwd would find no node_modules.
const TSX = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<CliResult>;
}

export function startCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...process.env, REDIS_URL: '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`no ${pattern} in stdout after ${timeoutMs} ms.\nstdout: ${out}\nstderr: ${err}`));
      }, timeoutMs);
      const poll = setInterval(() => {
        const match = out.match(pattern);
        if (match) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(match);
        } else if (child.exitCode !== null) {
          clearInterval(poll);
          clearTimeout(timer);
          reject(
            new Error(
              `exited with ${child.exitCode} before printing ${pattern}.\nstdout: ${out}\nstderr: ${err}`,
            ),
          );
        }
      }, 50);
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

export function runCli(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return startCli(args, cwd, env).exited;
}

/** A fresh temp folder per test, removed by the returned function. */
export async function tempCwd(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
