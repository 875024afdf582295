import { z } from 'zod';
import { manifestSchema } from '../model-manifest.js';

/** The model files of the platenet engine, in its models folder. */
export const DETECTOR_FILE = 'plate-detector.onnx';
export const READER_FILE = 'plate-reader.onnx';
/**
 * A second reader, trained apart (another seed), read with `recognition.secondReader`: a plate's
 * character counts only where both readers read the same (second-opinion.ts).
 */
export const SECOND_READER_FILE = 'plate-reader-2.onnx';

const multipleOf32 = z.number().int().positive().multipleOf(32);

export const detectorManifestSchema = manifestSchema.extend({
  input_size: z.strictObject({ width: multipleOf32, height: multipleOf32 }).default({ width: 320, height: 192 }),
  stride: z.number().int().positive().default(4),
});

export const readerManifestSchema = manifestSchema
  .extend({
    /** Index 0 is the CTC blank; the row break is a class like any character. */
    charset: z.array(z.string()).min(3),
    blank_index: z.literal(0),
    row_break: z.string().min(1),
    /** Steps per plate row when each row is its own CTC sequence (top row first); absent: one sequence split at row_break. */
    row_steps: z.number().int().positive().optional(),
  })
  .refine((m) => m.charset.includes(m.row_break), { message: 'row_break is not in the charset', path: ['row_break'] })
  .refine((m) => typeof m.input.shape[2] === 'number' && typeof m.input.shape[3] === 'number', {
    message: 'expected [batch, 1, height, width] with a numeric height and width',
    path: ['input', 'shape'],
  });

export type DetectorManifest = z.infer<typeof detectorManifestSchema>;
export type ReaderManifest = z.infer<typeof readerManifestSchema>;
