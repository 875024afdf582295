/**
 * What happened at the gate: the `type` of every event, in the store, on the wire and on the
 * page. Later issues add payloads; the envelope stays the same.
 * `command` and `list`: a command or list push from central, accepted, applied or refused.
 * `vehicle`: a vehicle's visit at the lane ended (passed, left, refused...).
 * `auth`: a login, failed login, lock-out or logout on the page, or an account change (src/web/auth/audit.ts).
 * `yard.*`: a vehicle entered or left a yard, stayed too long, or was called forward (src/yard).
 * `postcheck.flagged`: a vehicle passed without a valid fee declaration, or on one that does not fit it (src/postcheck).
 * `evidence.frame`: an event's evidence frame was stored, with its hash (src/store/frame-files.ts).
 * `chain.checkpoint`: the gate signed the heads of every lane's evidence chain (docs/evidence.md).
 */
export const EVENT_TYPES = [
  'plate.read',
  'decision',
  'barrier.actuation',
  'alarm',
  'operator.action',
  'vehicle',
  'command',
  'list',
  'auth',
  'yard.entered',
  'yard.left',
  'yard.overstay',
  'yard.call',
  'postcheck.flagged',
  'evidence.frame',
  'chain.checkpoint',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
