import { z } from 'zod';
import { nonEmptyString, slug } from './fields.js';

export const siteSchema = z
  .strictObject({
    id: slug().describe(
      'Short stable id of the gate (slug), used in event ids, topics and file names, e.g. `mlt-kth`.',
    ),
    name: nonEmptyString().describe('Human-readable name of the gate, e.g. "Ma Lù Thàng – Kim Thủy Hà".'),
  })
  .describe('The border gate this computer serves.');

export type SiteConfig = z.infer<typeof siteSchema>;
