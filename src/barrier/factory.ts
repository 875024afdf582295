import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BarrierConfig } from '../config/barrier.js';
import type { BoomTimings } from './boom-model.js';
import { LcusDriver } from './lcus-driver.js';
import { ModbusRelayDriver } from './modbus-driver.js';
import { ModbusRelaySimulator, SIM_DEFAULT_INPUTS } from './modbus-simulator.js';
import { simulatedPorts } from './simulated-port.js';
import type { BarrierDriver, BarrierStatusListener } from './types.js';

export interface BarrierDeps {
  clock: Clock;
  log: Logger;
  onStatus?: BarrierStatusListener;
  /** For `driver: simulator`: the boom's travel and hold times (default: the simulator's). */
  simulatorTimings?: Partial<BoomTimings>;
}

export interface BuiltBarrier {
  driver: BarrierDriver;
  /** For `driver: simulator`: the simulated board, whose loop the demo can set. */
  simulator: ModbusRelaySimulator | null;
}

/** Slack over the driver's own worst case: a loaded machine, a retry queued behind a poll. */
const OPENING_SLACK_MS = 5000;

/**
 * The longest an open can take the configured driver to answer, plus slack: how long a lane
 * waits in `opening` before it takes the answer as lost (docs/lanes.md). The worst case is an
 * open that waits out its deadline behind a poll, then two pulses (on, pulseMs, off, each write
 * waiting up to responseTimeoutMs), each followed by openTimeoutMs without the open limit.
 * 30.5 s with the defaults; more than LCUS or `none` need, which answer sooner.
 */
export function openingTimeoutMs(config: BarrierConfig): number {
  const pulse = config.pulseMs + 2 * config.responseTimeoutMs;
  return config.commandDeadlineMs + config.responseTimeoutMs + 2 * (pulse + config.openTimeoutMs) + OPENING_SLACK_MS;
}

/** Whether the barrier's inputs include the loop detector (the simulator's board always has one). */
export function loopWired(config: BarrierConfig): boolean {
  return config.driver === 'simulator' || (config.driver === 'modbus' && config.inputs.loop !== undefined);
}

/** The lane's barrier driver as configured, or null for `driver: none`. */
export function createBarrier(config: BarrierConfig, deps: BarrierDeps): BuiltBarrier | null {
  const { clock, log, onStatus } = deps;
  switch (config.driver) {
    case 'none':
      return null;
    case 'lcus':
      return {
        driver: new LcusDriver({
          device: config.device!,
          baudRate: config.baud,
          channel: config.channel,
          pulseMs: config.pulseMs,
          clock,
          log,
          onStatus,
        }),
        simulator: null,
      };
    case 'modbus':
    case 'simulator': {
      const simulator =
        config.driver === 'simulator'
          ? new ModbusRelaySimulator({
              clock,
              address: config.address,
              openRelay: config.coil,
              timings: deps.simulatorTimings,
            })
          : null;
      const driver = new ModbusRelayDriver({
        device: config.device ?? 'simulator',
        baudRate: config.baud,
        address: config.address,
        coil: config.coil,
        mode: config.mode,
        pulseMs: config.pulseMs,
        openTimeoutMs: config.openTimeoutMs,
        // The simulated board has all three inputs, at fixed places.
        inputs: simulator ? SIM_DEFAULT_INPUTS : config.inputs,
        pollMs: config.pollMs,
        responseTimeoutMs: config.responseTimeoutMs,
        clock,
        log,
        ports: simulator ? simulatedPorts(simulator) : undefined,
        onStatus,
      });
      return { driver, simulator };
    }
  }
}
