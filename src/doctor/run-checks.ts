import type { Check, CheckResult, DoctorContext } from './types.js';
import { fail } from './types.js';

/**
 * Runs the checks side by side (they share nothing), each within its own time limit: one that
 * overruns is a failure saying so, and its signal tells it to end what it started. A check that
 * throws is a failure with the error, never the end of the report. Results are in `checks` order.
 */
export async function runChecks(checks: readonly Check[], ctx: Omit<DoctorContext, 'signal'>): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => runOne(check, ctx)));
}

async function runOne(check: Check, ctx: Omit<DoctorContext, 'signal'>): Promise<CheckResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(
        fail(
          check.name,
          `no result within ${check.timeoutMs / 1000} s`,
          'see that what it checks is reachable from this computer, then run doctor again',
        ),
      );
    }, check.timeoutMs);
  });
  const ran = check.run({ ...ctx, signal: controller.signal }).then(
    (result) => result,
    (err: unknown) =>
      fail(check.name, `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, 'report it'),
  );
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
    controller.abort(); // whatever the check left running ends with it
  }
}
