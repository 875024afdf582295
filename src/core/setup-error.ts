/**
 * Something the config points at cannot be used — a model, the data directory, a TLS file, the
 * page's port. Like a config error, the gate does not run: `run` prints the message (which starts
 * with the field) and exits 2, without a stack trace.
 */
export class SetupError extends Error {
  override readonly name = 'SetupError';

  constructor(
    /** The config field the problem is with, e.g. `dataDir` or `http.port`. */
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}
