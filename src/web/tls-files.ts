import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** The page's certificate and key, as PEM read from the files the config names. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** A certificate or key file that cannot be used; the message starts with the config field. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';

  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/**
 * Reads `http.tls.cert` and `http.tls.key` at start and checks that they are a certificate, a
 * private key, and a pair, so a mistake stops the daemon with the field named rather than
 * failing every browser's handshake later.
 */
export function loadTlsFiles(
  tls: { cert: string; key: string },
  readFile: (path: string) => Buffer = readFileSync,
): TlsFiles {
  const read = (field: string, path: string): Buffer => {
    try {
      return readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'file not found'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'is a directory'
              : (err as Error).message;
      throw new TlsFileError(field, `cannot read ${path}: ${why}`);
    }
  };
  const cert = read('http.tls.cert', tls.cert);
  const key = read('http.tls.key', tls.key);
  try {
    new X509Certificate(cert);
  } catch {
    throw new TlsFileError('http.tls.cert', `${tls.cert} is not a PEM certificate`);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new TlsFileError(
      'http.tls.key',
      `${tls.key} is not a PEM private key (or it is encrypted with a passphrase)`,
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsFileError(
      'http.tls.key',
      `does not go with the certificate in ${tls.cert} (${(err as Error).message})`,
    );
  }
  return { cert, key };
}
