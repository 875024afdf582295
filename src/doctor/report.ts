import type { CheckResult, Severity } from './types.js';

/**
 * `smartgate doctor`'s exit codes: the worst result decides. Bad options exit 2, as with every
 * smartgate command, so a failure is 3: a script never takes a typo for a verdict on the site.
 */
export const EXIT_OK = 0;
export const EXIT_WARN = 1;
export const EXIT_USAGE = 2;
export const EXIT_FAIL = 3;

const RANK: Record<Severity, number> = { ok: 0, warn: 1, fail: 2 };

/** The worst severity among `results` (ok when there are none). */
export function worstSeverity(results: readonly CheckResult[]): Severity {
  return results.reduce<Severity>((worst, r) => (RANK[r.severity] > RANK[worst] ? r.severity : worst), 'ok');
}

/** 0 every check ok, 1 a warning and no failure, 3 any failure. */
export function exitCodeFor(results: readonly CheckResult[]): number {
  const worst = worstSeverity(results);
  return worst === 'fail' ? EXIT_FAIL : worst === 'warn' ? EXIT_WARN : EXIT_OK;
}

/**
 * One line per check, severity first so a column of `ok` is read at a glance, then what to do
 * on an indented line below a warning or failure.
 */
export function formatResult(r: CheckResult): string {
  const line = `${r.severity.padEnd(5)}${r.name}: ${r.detail}`;
  return r.fix ? `${line}\n     fix: ${r.fix}` : line;
}

/** The whole report: each check, then a summary line. */
export function formatReport(results: readonly CheckResult[]): string {
  const count = (s: Severity) => results.filter((r) => r.severity === s).length;
  const summary = `${results.length} checks: ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`;
  return `${results.map(formatResult).join('\n')}\n${summary}\n`;
}

/** The report for --json: every result, the worst severity and the exit code. */
export function jsonReport(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ severity: worstSeverity(results), exitCode: exitCodeFor(results), checks: results }, null, 2)}\n`;
}
