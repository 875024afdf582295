import { z } from 'zod';
import { isTimeZone, nonEmptyString, slug } from './fields.js';

export const siteSchema = z
  .strictObject({
    id: slug().describe(
      'Short stable id of the gate (slug), used in event ids, topics and file names, e.g. `mlt-kth`.',
    ),
    name: nonEmptyString().describe('Human-readable name of the gate, e.g. "Ma Lù Thàng – Kim Thủy Hà".'),
    timeZone: z
      .string()
      .refine(isTimeZone, { error: 'expected an IANA time zone, e.g. Asia/Ho_Chi_Minh' })
      .default('Asia/Ho_Chi_Minh')
      .describe(
        "IANA time zone of the site's days: the post-check reconciles passages per local day. Default Asia/Ho_Chi_Minh.",
      ),
  })
  .describe('The border gate this computer serves.');

export type SiteConfig = z.infer<typeof siteSchema>;
