/**
 * `--help` and `-h` ask every command for its usage, wherever they stand among the options (a
 * user adds them to a command line that failed). After `--` they are operands, e.g. an image
 * file named `-h`. A string option never takes them as its value: parseArgs refuses a value
 * that starts with `-` when it is given as a separate argument.
 */
export function helpRequested(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** Prints the usage on stdout, for `--help`; the command then exits 0. */
export function printUsage(usage: string): 0 {
  process.stdout.write(`${usage.trimEnd()}\n`);
  return 0;
}
