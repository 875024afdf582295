import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { formatConfigIssues } from './issues.js';
import { configSchema, type Config } from './schema.js';

/** A config file that cannot be used; `problems` holds one line per problem found. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/**
 * Parses and validates YAML config text. Throws a ConfigError listing every problem: YAML
 * syntax errors as `SOURCE:LINE:COLUMN: ...`; schema problems as `path: what was wrong`.
 */
export function parseConfig(text: string, sourceName: string): Config {
  // merge: `<<: *defaults` lets lanes share settings through an anchor.
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      sourceName,
      doc.errors.map((err) => {
        const pos = err.linePos?.[0];
        const where = pos ? `${sourceName}:${pos.line}:${pos.col}` : sourceName;
        return `${where}: YAML syntax error: ${firstLine(err.message)}`;
      }),
    );
  }
  // An empty file is an empty mapping: the schema then names the sections that are required.
  const data: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(sourceName, formatConfigIssues(result.error));
  return result.data;
}

/** Reads and validates a YAML config file; throws a ConfigError when it cannot be used. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? `${path}: file not found`
        : code === 'EISDIR'
          ? `${path}: is a directory, expected a YAML file`
          : `${path}: cannot read: ${(err as Error).message}`;
    throw new ConfigError(path, [problem]);
  }
  return parseConfig(text, path);
}

/** yaml's message without the " at line L, column C:" tail and the code excerpt under it. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
