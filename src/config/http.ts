import { z } from 'zod';
import { integer, nonEmptyString } from './fields.js';

export const httpSchema = z
  .strictObject({
    // Optional rather than defaulted: a config that leaves it out reads back unchanged.
    enabled: z.boolean().optional().describe('Serve the status page (and /metrics, /healthz); false turns it off. Default: true.'),
    port: integer().min(0).max(65535).default(8080).describe('TCP port of the status page; 0 picks a free port.'),
    host: nonEmptyString()
      .default('127.0.0.1')
      .describe('Address to listen on. The default serves this computer only; use 0.0.0.0 to serve the gate network.'),
  })
  .prefault({})
  .describe('The local status page.');

export type HttpConfig = z.infer<typeof httpSchema>;
