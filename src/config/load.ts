import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { formatConfigIssues } from './issues.js';
import { configSchema, type Config } from './schema.js';
import { errorMessage } from '../core/error-message.js';

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
  const data = readYaml(text, sourceName);
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(sourceName, formatConfigIssues(result.error, configSchema));
  return result.data;
}

/**
 * The YAML document as plain data. What the yaml library throws rather than reports is a
 * problem of the file too, so it becomes a ConfigError: an alias bomb ("billion laughs": a few
 * lines whose aliases expand exponentially) exceeds yaml's alias budget, and input nested deep
 * enough overflows the stack.
 */
function readYaml(text: string, sourceName: string): unknown {
  // merge: `<<: *defaults` lets lanes share settings through an anchor.
  let doc;
  try {
    doc = parseDocument(text, { merge: true, prettyErrors: true });
  } catch (err) {
    throw new ConfigError(sourceName, [`${sourceName}: YAML cannot be read: ${thrownProblem(err)}`]);
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(
      sourceName,
      doc.errors.map((err) => {
        const pos = err.linePos?.[0];
        const where = pos ? `${sourceName}:${pos.line}:${pos.col}` : sourceName;
        // yaml reports a stack overflow of its composer as an error at the deepest point.
        const what = /maximum call stack/i.test(err.message) ? 'nested too deeply' : firstLine(err.message);
        return `${where}: YAML syntax error: ${what}`;
      }),
    );
  }
  try {
    // An empty file is an empty mapping: the schema then names the sections that are required.
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    throw new ConfigError(sourceName, [`${sourceName}: YAML cannot be read: ${thrownProblem(err)}`]);
  }
}

/** yaml's own limit on alias expansion; lanes sharing settings through `<<: *defaults` stay far below. */
const MAX_ALIAS_COUNT = 100;

function thrownProblem(err: unknown): string {
  const message = errorMessage(err);
  if (/excessive alias count/i.test(message)) {
    return `its aliases (*name) expand to too much data (more than ${MAX_ALIAS_COUNT} alias uses, counted with what they repeat); this looks like an alias bomb, not a configuration`;
  }
  if (err instanceof RangeError) return `nested too deeply (${message})`;
  return firstLine(message);
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
