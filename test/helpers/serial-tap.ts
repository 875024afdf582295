import { SerialPort } from 'serialport';

/** The far end of a PTY pair, collecting every byte that arrives. */
export class SerialTap {
  private port: SerialPort;
  bytes = Buffer.alloc(0);

  constructor(path: string) {
    this.port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    this.port.on('data', (d: Buffer) => (this.bytes = Buffer.concat([this.bytes, d])));
    this.port.on('error', () => {});
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => this.port.open((err) => (err ? reject(err) : resolve())));
  }

  hex(): string {
    return this.bytes
      .toString('hex')
      .toUpperCase()
      .replace(/(..)(?!$)/g, '$1 ');
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}
