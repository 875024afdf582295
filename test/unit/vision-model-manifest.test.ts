import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadVerifiedModel, ModelIntegrityError, readVerifiedModel } from '../../src/vision/model-manifest.js';
import { readerManifestSchema } from '../../src/vision/platenet/manifests.js';

let dir: string;
const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function manifest(extra: Record<string, unknown> = {}) {
  return {
    model: 'm.onnx',
    sha256: hash(bytes),
    bytes: bytes.length,
    input: { name: 'image', shape: ['batch', 1, 64, 160], dtype: 'float32', preprocessing: 'luma / 127.5 - 1' },
    output: { name: 'probs', shape: ['batch', 80, 3], meaning: 'softmax per CTC step' },
    ...extra,
  };
}

/** Writes m.onnx and, unless `man` is null, its manifest. */
function write(model: Buffer, man: unknown = manifest()) {
  writeFileSync(join(dir, 'm.onnx'), model);
  if (man !== null) writeFileSync(join(dir, 'm.manifest.json'), typeof man === 'string' ? man : JSON.stringify(man));
  return join(dir, 'm.onnx');
}

/** The error `fn` throws, which must be a ModelIntegrityError. */
function integrityError(fn: () => unknown): ModelIntegrityError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelIntegrityError);
    return err as ModelIntegrityError;
  }
  throw new Error('expected a ModelIntegrityError');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'smartgate-manifest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadVerifiedModel', () => {
  it('returns the manifest and the very bytes it checked', () => {
    const { manifest: m, data } = loadVerifiedModel(write(bytes));
    expect(m.input.name).toBe('image');
    expect(Buffer.compare(data, bytes)).toBe(0);
  });

  it('refuses a model with one flipped byte, naming the file and both hashes', () => {
    const flipped = Buffer.from(bytes);
    flipped[500] = flipped[500]! ^ 0x01;
    const path = write(flipped);
    const err = integrityError(() => loadVerifiedModel(path));
    expect(err.file).toBe(path);
    expect(err.message).toContain(path);
    expect(err.message).toContain(`expected sha256 ${hash(bytes)}`);
    expect(err.message).toContain(`actual sha256 ${hash(flipped)}`);
  });

  it('refuses a model of another size, with both sizes and hashes', () => {
    const longer = Buffer.concat([bytes, Buffer.from([0])]);
    const err = integrityError(() => loadVerifiedModel(write(longer)));
    expect(err.message).toContain('1001 bytes instead of 1000');
    expect(err.message).toContain(hash(bytes));
    expect(err.message).toContain(hash(longer));
  });

  it('refuses a size the manifest gets wrong even when the hash matches', () => {
    const err = integrityError(() => loadVerifiedModel(write(bytes, manifest({ bytes: 999 }))));
    expect(err.message).toContain('1000 bytes instead of 999');
  });

  it.each([
    { name: 'missing', man: null, says: /manifest .*m\.manifest\.json is missing/ },
    { name: 'not JSON', man: '{"model": ', says: /is missing or not JSON/ },
    { name: 'without a hash', man: manifest({ sha256: undefined }), says: /invalid: sha256/ },
    { name: 'with a malformed hash', man: manifest({ sha256: 'abc' }), says: /sha256: expected 64 hex digits/ },
    { name: 'about another file', man: manifest({ model: 'other.onnx' }), says: /describes other\.onnx, not m\.onnx/ },
    {
      name: 'without an output meaning',
      man: manifest({ output: { name: 'probs', shape: [1] } }),
      says: /output\.meaning/,
    },
  ])('refuses a manifest $name, naming the model', ({ man, says }) => {
    const path = write(bytes, man);
    const err = integrityError(() => loadVerifiedModel(path));
    expect(err.message).toContain(path);
    expect(err.message).toMatch(says);
  });

  it("checks an engine's own fields (the reader's charset and row break)", () => {
    const path = write(bytes, manifest({ charset: ['<blank>', 'A', 'B'], blank_index: 0, row_break: '|' }));
    expect(integrityError(() => loadVerifiedModel(path, readerManifestSchema)).message).toMatch(
      /row_break is not in the charset/,
    );
  });
});

describe('readVerifiedModel', () => {
  it('checks a file against a pin and names a missing file', () => {
    const path = write(bytes, null);
    expect(readVerifiedModel(path, { sha256: hash(bytes).toUpperCase(), bytes: 1000 })).toHaveLength(1000);
    expect(integrityError(() => readVerifiedModel(path, { sha256: '0'.repeat(64), bytes: 1000 })).message).toContain(
      `actual sha256 ${hash(bytes)}`,
    );
    expect(
      integrityError(() => readVerifiedModel(join(dir, 'gone.onnx'), { sha256: '0'.repeat(64), bytes: 1 })).message,
    ).toMatch(/gone\.onnx: cannot read/);
  });
});
