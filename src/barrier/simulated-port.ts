import { EventEmitter } from 'node:events';
import type { ModbusRelaySimulator } from './modbus-simulator.js';
import type { PortFactory, PortLike } from './serial-link.js';

/**
 * A port wired straight to an in-process ModbusRelaySimulator, for `driver: simulator` (the
 * demo): the real ModbusRelayDriver and SerialLink talk to it as to a serial board. Answers
 * arrive asynchronously, as from a device.
 */
class SimulatedPort extends EventEmitter implements PortLike {
  isOpen = false;

  constructor(private readonly sim: ModbusRelaySimulator) {
    super();
  }

  open(cb: (err: Error | null) => void): void {
    setImmediate(() => {
      this.isOpen = true;
      cb(null);
    });
  }

  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean {
    if (!this.isOpen) {
      setImmediate(() => cb(new Error('Port is not open')));
      return false;
    }
    const answer = this.sim.handle(Buffer.from(data));
    setImmediate(() => {
      cb(null);
      if (answer && this.isOpen) this.emit('data', answer);
    });
    return true;
  }

  close(cb?: (err: Error | null) => void): void {
    this.isOpen = false;
    setImmediate(() => cb?.(null));
  }
}

export function simulatedPorts(sim: ModbusRelaySimulator): PortFactory {
  return () => new SimulatedPort(sim);
}
