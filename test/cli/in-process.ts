/** Runs a `cachegate` command in this process (`runCli`), capturing what it prints. */
import { runCli } from '../../src/cli/run.js';
import type { CliResult } from './cli-process.js';

export async function runInProcess(
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}
