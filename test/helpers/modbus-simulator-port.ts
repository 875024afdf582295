import { SerialPort } from 'serialport';
import type { Logger } from '../../src/core/log.js';
import { crcOk } from '../../src/barrier/modbus-rtu.js';
import type { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';

/** The requests the simulator answers (05 and 02) are all 8 bytes long. */
const REQUEST_LENGTH = 8;

/**
 * Puts a ModbusRelaySimulator on a serial path, e.g. the far end of a socat PTY pair, so the
 * real driver talks to it through a real tty. Frames by length; a window whose CRC does not
 * match is slid by one byte, which resynchronises after noise or a partial frame.
 */
export class ModbusSimulatorPort {
  private port: SerialPort | null = null;
  private buf = Buffer.alloc(0);

  constructor(
    private readonly path: string,
    readonly sim: ModbusRelaySimulator,
    private readonly log: Logger,
    private readonly baudRate = 9600,
  ) {}

  start(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    this.port = port;
    port.on('data', (data: Buffer) => this.onData(data));
    port.on('error', (err) => this.log.warn({ path: this.path, err: err.message }, 'simulator port error'));
    return new Promise((resolve, reject) =>
      port.open((err) => (err ? reject(new Error(`simulator: cannot open ${this.path}: ${err.message}`)) : resolve())),
    );
  }

  async stop(): Promise<void> {
    this.sim.stop();
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onData(data: Buffer): void {
    this.buf = Buffer.concat([this.buf, data]);
    while (this.buf.length >= REQUEST_LENGTH) {
      const frame = this.buf.subarray(0, REQUEST_LENGTH);
      if (!crcOk(frame)) {
        this.buf = this.buf.subarray(1);
        continue;
      }
      this.buf = this.buf.subarray(REQUEST_LENGTH);
      const answer = this.sim.handle(Buffer.from(frame));
      if (answer && this.port?.isOpen) this.port.write(answer);
    }
  }
}
