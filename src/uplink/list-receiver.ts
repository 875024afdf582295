import { ListTooLargeError, type DeltaResult, type ListEntry } from '../store/lists.js';
import { type NewEvent } from '../store/types.js';
import type { SignatureCheck } from './central-inbox.js';
import {
  describeIssues,
  LIST_MAX_BYTES,
  listPushSchema,
  plateKeyProblems,
  type ListPush,
} from './commands-contract.js';
import { echo, type InboundOutcome, type Refusal } from './inbound-outcome.js';
import { GATE_LANE_ID } from '../domain/lanes.js';
import { LIST_NAMES, PLATE_LISTS } from '../domain/lists.js';

/** What the receiver needs of the store's ListStore. */
export interface ListApplier {
  applyFull(name: string, version: number, entries: readonly ListEntry[]): void;
  applyDelta(
    name: string,
    fromVersion: number,
    toVersion: number,
    add: readonly ListEntry[],
    remove: readonly string[],
  ): DeltaResult;
}

type ListStatus = 'applied' | 'repeat' | 'refused';

/**
 * Applies list pushes from central (full or delta) to the store, after checking size, central's
 * signature (always: the lists decide who opens, so an unsigned push is never applied), name and
 * shape; a push that would make a list longer than the store holds is refused as
 * `too-many-entries`. A delta that does not fit the stored version is refused as `version-mismatch` with the
 * version the gate has, so central sends the full list; a delta already applied (a redelivery)
 * is acknowledged without change.
 */
export class ListReceiver {
  constructor(private readonly lists: ListApplier) {}

  handle(name: string, payload: Buffer, signature: SignatureCheck): InboundOutcome {
    let push: ListPush | null = null;
    let kid: string | null = null;
    const refuse = (refusal: Refusal): InboundOutcome => ({
      reply: { status: 'error', error: refusal },
      event: listEvent(name, push, kid, 'refused', {
        reason: refusal.code,
        message: refusal.message,
        ...(refusal.currentVersion !== undefined && { currentVersion: refusal.currentVersion }),
      }),
    });

    if (payload.length > LIST_MAX_BYTES)
      return refuse({
        code: 'too-large',
        message: `payload is ${payload.length} bytes, more than the ${LIST_MAX_BYTES} allowed for a list`,
      });
    const verdict = signature();
    if (!verdict.signed) return refuse(verdict.refusal);
    kid = verdict.kid;
    if (!(LIST_NAMES as readonly string[]).includes(name))
      return refuse({ code: 'unknown-list', message: `no list "${echo(name)}"; known: ${LIST_NAMES.join(', ')}` });
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return refuse({ code: 'bad-json', message: `payload is not JSON: ${(err as Error).message}` });
    }
    const parsed = listPushSchema.safeParse(json);
    if (!parsed.success) return refuse({ code: 'invalid', message: describeIssues(parsed.error) });
    push = parsed.data;
    const badKeys = (PLATE_LISTS as readonly string[]).includes(name) ? plateKeyProblems(push) : [];
    if (badKeys.length > 0) return refuse({ code: 'invalid', message: badKeys.slice(0, 5).join('; ') });

    try {
      if (push.kind === 'full') {
        this.lists.applyFull(name, push.version, push.entries);
        return applied(name, push, kid, 'applied', push.version);
      }
      const result = this.lists.applyDelta(name, push.fromVersion, push.toVersion, push.add, push.remove);
      if (result.applied) return applied(name, push, kid, 'applied', result.version);
      if (result.reason === 'already-applied') return applied(name, push, kid, 'repeat', result.currentVersion);
      return refuse({
        code: 'version-mismatch',
        message:
          result.currentVersion === null
            ? `fromVersion: the gate has no version of list "${name}"; send the full list`
            : `fromVersion: the gate has version ${result.currentVersion} of list "${name}", not ${push.fromVersion}; send the full list`,
        currentVersion: result.currentVersion,
      });
    } catch (err) {
      // The store's cap (store.lists.maxEntries): central must shorten the list, resending will not help.
      if (err instanceof ListTooLargeError) return refuse({ code: 'too-many-entries', message: err.message });
      return refuse({ code: 'failed', message: `list "${name}" not applied: ${(err as Error).message}` });
    }
  }
}

/** The ok reply: the version the gate now has; `repeat` when the delta was already applied. */
function applied(
  name: string,
  push: ListPush,
  kid: string,
  status: ListStatus,
  version: number | null,
): InboundOutcome {
  return {
    reply: { status: 'ok', data: { list: name, version, ...(status === 'repeat' && { alreadyApplied: true }) } },
    event: listEvent(name, push, kid, status, { currentVersion: version }),
  };
}

/** The `list` event: which list, what was pushed (versions and sizes, never the entries), the key that signed it, what became of it. */
function listEvent(
  name: string,
  push: ListPush | null,
  kid: string | null,
  status: ListStatus,
  extra: Record<string, unknown>,
): NewEvent {
  const shape = !push
    ? {}
    : push.kind === 'full'
      ? { kind: 'full', version: push.version, entries: push.entries.length }
      : {
          kind: 'delta',
          fromVersion: push.fromVersion,
          toVersion: push.toVersion,
          added: push.add.length,
          removed: push.remove.length,
        };
  return {
    type: 'list',
    laneId: GATE_LANE_ID,
    payload: { name: echo(name), status, ...shape, reason: null, kid, ...extra },
  };
}
