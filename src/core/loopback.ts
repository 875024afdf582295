import { connect, createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port assigned')),
      );
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` right now. */
export function acceptsLoopback(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
