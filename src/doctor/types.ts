import type { Config } from '../config/index.js';

/** How a check went: `warn` works today but needs attention; `fail` stops the gate working. */
export type Severity = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked, e.g. `camera entry-1`. */
  name: string;
  severity: Severity;
  /** What was found, one line. */
  detail: string;
  /** What to do about it; empty when nothing is to be done. */
  fix: string;
}

export interface DoctorContext {
  config: Config;
  /** The config file, for the commands a fix names. */
  configPath: string;
  /** Where the cameras' snapshots go. */
  snapshotDir: string;
  /** Aborted when the check's time is up: it ends what it started (ffmpeg, ports, connections). */
  signal: AbortSignal;
}

/** One check of the site: its name (known before it runs, for a timeout's result), its time limit, and itself. */
export interface Check {
  name: string;
  timeoutMs: number;
  run(ctx: DoctorContext): Promise<CheckResult>;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, severity: 'ok', detail, fix: '' });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  severity: 'warn',
  detail,
  fix,
});
export const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  severity: 'fail',
  detail,
  fix,
});
