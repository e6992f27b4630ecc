/** What a command may touch of its process, so tests and `main.ts` can hand it in. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  cwd: string;
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
}

/** Wrong arguments: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = {
  ok: 0,
  /** The command ran but its work failed (a warm job ended FAILED or PARTIAL, an unexpected error). */
  failed: 1,
  /** Bad arguments or config: nothing was attempted. */
  usage: 2,
} as const;
