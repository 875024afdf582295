/**
 * LCUS-1/2/4 USB relay boards (CH340 serial, 9600 8N1): one 4-byte frame per switch,
 * `A0 ch op sum` with ch 1-based, op 01 = on / 00 = off, sum = (A0 + ch + op) & 0xFF.
 * Example: channel 1 on = A0 01 01 A2, channel 1 off = A0 01 00 A1.
 *
 * The board has no inputs and never answers, so the driver cannot know the barrier's state.
 * An "open" is a pulse: the on frame, pulseMs, then the off frame. The off frame belongs to the
 * same command and is sent even when the deadline passes mid-pulse (releasing a contact is
 * always safe); the on frame is never sent after the deadline.
 */
export const LCUS_HEADER = 0xa0;
export const LCUS_MAX_CHANNEL = 8;

export function encodeLcus(channel: number, on: boolean): Buffer {
  if (!Number.isInteger(channel) || channel < 1 || channel > LCUS_MAX_CHANNEL) {
    throw new RangeError(`LCUS channel must be a whole number 1..${LCUS_MAX_CHANNEL}, got ${channel}`);
  }
  const op = on ? 0x01 : 0x00;
  return Buffer.from([LCUS_HEADER, channel, op, (LCUS_HEADER + channel + op) & 0xff]);
}

export interface LcusFrame {
  channel: number;
  on: boolean;
}

/** Parses one frame (for the tests' far end); throws naming what is wrong. */
export function decodeLcus(frame: Uint8Array): LcusFrame {
  if (frame.length !== 4) throw new Error(`LCUS frame must be 4 bytes, got ${frame.length}`);
  const [head, ch, op, sum] = frame as unknown as [number, number, number, number];
  if (head !== LCUS_HEADER) throw new Error(`LCUS frame must start with A0, got ${hex(head)}`);
  if (op !== 0 && op !== 1) throw new Error(`LCUS op must be 00 or 01, got ${hex(op)}`);
  const expected = (head + ch + op) & 0xff;
  if (sum !== expected) throw new Error(`LCUS checksum ${hex(sum)} != expected ${hex(expected)}`);
  return { channel: ch, on: op === 1 };
}

export function hex(bytes: number | Uint8Array): string {
  const list = typeof bytes === 'number' ? [bytes] : [...bytes];
  return list.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
