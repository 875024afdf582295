import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * A model file that is not the one expected: missing, unreadable, or with another size or
 * sha256 than its manifest (or pin) says. The daemon refuses to start on it, because a
 * truncated or swapped model reads plates wrongly without failing.
 */
export class ModelIntegrityError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

/** What a model file must be: its size and the hex sha256 of its bytes. */
export interface ModelPin {
  sha256: string;
  bytes: number;
}

const shape = z.array(z.union([z.number().int(), z.string()])).min(1);

/** The fields every manifest has; engines extend it with their own (charset, input size). */
export const manifestSchema = z.looseObject({
  model: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits'),
  bytes: z.number().int().nonnegative(),
  input: z.looseObject({ name: z.string().min(1), shape, dtype: z.string().min(1), preprocessing: z.string() }),
  output: z.looseObject({ name: z.string().min(1), shape, meaning: z.string() }),
});

export type ModelManifest = z.infer<typeof manifestSchema>;

/** `models/x.onnx` → `models/x.manifest.json`. */
export function manifestPathFor(modelPath: string): string {
  return join(dirname(modelPath), basename(modelPath).replace(/\.onnx$/, '') + '.manifest.json');
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads `modelPath` and checks it against `pin`. Returns the bytes that were checked, so the
 * session is created from exactly them (no window for the file to change in between).
 */
export function readVerifiedModel(modelPath: string, pin: ModelPin, pinSource = 'its pin'): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(modelPath);
  } catch (err) {
    throw new ModelIntegrityError(modelPath, `${modelPath}: cannot read the model: ${(err as Error).message}`);
  }
  const actual = sha256Hex(data);
  const expected = pin.sha256.toLowerCase();
  if (data.length !== pin.bytes || actual !== expected) {
    const size = data.length === pin.bytes ? '' : `, ${data.length} bytes instead of ${pin.bytes}`;
    throw new ModelIntegrityError(
      modelPath,
      `${modelPath}: not the model ${pinSource} describes${size}: expected sha256 ${expected}, actual sha256 ${actual}`,
    );
  }
  return data;
}

/** Reads and validates the manifest beside `modelPath` against `schema` (the common fields by default). */
export function readManifest<S extends z.ZodType<ModelManifest>>(
  modelPath: string,
  schema: S = manifestSchema as unknown as S,
): z.infer<S> {
  const path = manifestPathFor(modelPath);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelIntegrityError(
      modelPath,
      `${modelPath}: its manifest ${path} is missing or not JSON: ${(err as Error).message}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelIntegrityError(modelPath, `${modelPath}: its manifest ${path} is invalid: ${problems}`);
  }
  if (parsed.data.model !== basename(modelPath)) {
    throw new ModelIntegrityError(
      modelPath,
      `${modelPath}: its manifest ${path} describes ${parsed.data.model}, not ${basename(modelPath)}`,
    );
  }
  return parsed.data;
}

/** The manifest beside `modelPath` and the model's bytes, checked against it. */
export function loadVerifiedModel<S extends z.ZodType<ModelManifest>>(
  modelPath: string,
  schema: S = manifestSchema as unknown as S,
): { manifest: z.infer<S>; data: Buffer } {
  const manifest = readManifest(modelPath, schema);
  const data = readVerifiedModel(modelPath, manifest, basename(manifestPathFor(modelPath)));
  return { manifest, data };
}
