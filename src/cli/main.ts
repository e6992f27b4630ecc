#!/usr/bin/env node
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Exit explicitly: an upstream pool or a Redis client left open must not keep a finished command alive.
process.exit(code);
