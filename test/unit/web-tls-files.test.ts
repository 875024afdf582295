import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsFiles, TlsFileError } from '../../src/web/tls-files.js';
import { makeTestPki, type TestPki } from '../helpers/test-pki.js';

describe('loadTlsFiles (http.tls)', () => {
  let dir: string;
  let pki: TestPki;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartgate-web-tls-'));
    pki = await makeTestPki(dir, ['other']);
    await writeFile(join(dir, 'garbage.pem'), 'not a PEM file\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a certificate and its key', () => {
    const files = loadTlsFiles(pki.server);
    expect(files.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(files.key.toString()).toContain('PRIVATE KEY');
  });

  it.each<[string, () => { cert: string; key: string }, RegExp]>([
    [
      'a missing certificate',
      () => ({ cert: join(dir, 'nope.crt'), key: pki.server.key }),
      /^http\.tls\.cert: cannot read .*nope\.crt: file not found$/,
    ],
    [
      'a missing key',
      () => ({ cert: pki.server.cert, key: join(dir, 'nope.key') }),
      /^http\.tls\.key: cannot read .*nope\.key: file not found$/,
    ],
    ['a directory', () => ({ cert: dir, key: pki.server.key }), /^http\.tls\.cert: cannot read .*: is a directory$/],
    [
      'a certificate that is not one',
      () => ({ cert: join(dir, 'garbage.pem'), key: pki.server.key }),
      /^http\.tls\.cert: .*garbage\.pem is not a PEM certificate$/,
    ],
    [
      'a key that is not one',
      () => ({ cert: pki.server.cert, key: pki.server.cert }),
      /^http\.tls\.key: .* is not a PEM private key/,
    ],
    [
      'the key of another certificate',
      () => ({ cert: pki.server.cert, key: pki.clients.other!.key }),
      /^http\.tls\.key: does not go with the certificate in .*server\.crt/,
    ],
  ])('refuses %s, naming the field', (_, files, message) => {
    let error: unknown;
    try {
      loadTlsFiles(files());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TlsFileError);
    expect((error as Error).message).toMatch(message);
  });
});
