import { z } from 'zod';
import { integer, pixels } from './fields.js';

export const roiSchema = z
  .strictObject({
    x: pixels().describe('Left edge, pixels from the left of the frame.'),
    y: pixels().describe('Top edge, pixels from the top of the frame.'),
    w: integer().positive().describe('Width in pixels.'),
    h: integer().positive().describe('Height in pixels.'),
  })
  .describe(
    "Region of interest: the part of the frame (in decoded-frame pixels) where this lane's plates appear. " +
      'Must lie inside camera.width x camera.height. Default: the whole frame.',
  );

export type RoiConfig = z.infer<typeof roiSchema>;
