import { stat } from 'node:fs/promises';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import type { LaneConfig } from '../../config/index.js';
import {
  decodeReadInputsResponse,
  encodeReadInputs,
  expectedResponseLength,
  ModbusException,
} from '../../barrier/modbus-rtu.js';
import { SerialLink } from '../../barrier/serial-link.js';
import { fail, ok, warn, type Check, type CheckResult } from '../types.js';

const OPEN_WAIT_MS = 3000;

/**
 * A lane's relay board: its serial device is there and is a character device, the port opens,
 * and a Modbus board answers a read of its first discrete input (which moves nothing). An LCUS
 * board never answers anything, so for it the port opening is all that can be checked without
 * pulsing the relay.
 */
export function serialCheck(lane: LaneConfig, configPath: string): Check {
  const name = `serial ${lane.id}`;
  const barrier = lane.barrier;
  const device = barrier.device ?? '';
  return {
    name,
    timeoutMs: 10_000,
    async run({ signal }) {
      const info = await stat(device).catch((err: NodeJS.ErrnoException) => err);
      if (info instanceof Error) {
        return fail(
          name,
          `${device}: ${info.code === 'ENOENT' ? 'no such device' : info.message}`,
          `plug in the ${barrier.driver} board's USB cable; list the devices with ls -l /dev/serial/by-id/ and put its path in lanes[${lane.id}].barrier.device`,
        );
      }
      if (!info.isCharacterDevice())
        return fail(name, `${device} is not a serial device`, `correct lanes[${lane.id}].barrier.device`);
      const link = new SerialLink({ path: device, baudRate: barrier.baud, clock: systemClock, log: silentLogger });
      link.start();
      const stop = () => void link.stop();
      signal.addEventListener('abort', stop);
      try {
        const until = Date.now() + OPEN_WAIT_MS;
        while (!link.isOpen && !link.error && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        if (!link.isOpen) return portProblem(name, link.error ?? 'did not open', lane.id);
        if (barrier.driver === 'lcus')
          return ok(
            name,
            `${device} opens (an LCUS board never answers: to test the relay, smartgate barrier --config ${configPath} --lane ${lane.id} open --operator NAME --reason TEXT)`,
          );
        return await modbusAnswer(name, link, lane, device);
      } finally {
        signal.removeEventListener('abort', stop);
        await link.stop();
      }
    },
  };
}

function portProblem(name: string, error: string, laneId: string): CheckResult {
  if (/lock|busy/i.test(error))
    return warn(
      name,
      `${error}: in use by another program`,
      'if the daemon runs it owns the port, and this is expected; otherwise stop the program that holds it (fuser DEVICE)',
    );
  if (/permission|EACCES/i.test(error))
    return fail(name, error, "add smartgate's user to the dialout group (then log in again or restart the service)");
  return fail(name, error, `check lanes[${laneId}].barrier.device and the cable`);
}

async function modbusAnswer(name: string, link: SerialLink, lane: LaneConfig, device: string): Promise<CheckResult> {
  const { address, baud, responseTimeoutMs } = lane.barrier;
  const request = encodeReadInputs(address, 0, 1);
  try {
    const frame = await link.request(
      request,
      systemClock.monotonic() + responseTimeoutMs,
      (buf) => (buf.length < 2 ? null : buf[1]! & 0x80 ? 5 : expectedResponseLength(request)),
      responseTimeoutMs,
    );
    decodeReadInputsResponse(frame, address, 1);
    return ok(name, `${device} opens; the Modbus board at address ${address} answers`);
  } catch (err) {
    // An exception is an answer: the board is there, it only has no such input.
    if (err instanceof ModbusException)
      return ok(name, `${device} opens; the Modbus board at address ${address} answers (${err.message})`);
    return fail(
      name,
      `${device} opens; no answer from Modbus address ${address} at ${baud} baud: ${(err as Error).message}`,
      `check the board's power, the A/B wires, and that lanes[${lane.id}].barrier.address and baud match its DIP switches`,
    );
  }
}
