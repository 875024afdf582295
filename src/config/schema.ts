import { z } from 'zod';
import { httpSchema } from './http.js';
import { laneSchema } from './lane.js';
import { logSchema } from './log.js';
import { mqttSchema } from './mqtt.js';
import { duplicateLaneIds, replyPrefixOverlap, reportProblems, yardProblems } from './rules.js';
import { siteSchema } from './site.js';
import { storeSchema } from './store.js';
import { yardSchema } from './yards.js';

export const configSchema = z
  .strictObject({
    site: siteSchema,
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .describe(
        'Directory for the event store and plate images. A relative path is relative to the working directory.',
      ),
    store: storeSchema,
    log: logSchema,
    http: httpSchema,
    mqtt: mqttSchema,
    lanes: z
      .array(laneSchema)
      .min(1)
      // Runs even when some lane is invalid, so a duplicate id is reported along with the rest.
      .superRefine((lanes, ctx) => reportProblems(ctx, duplicateLaneIds(lanes)), {
        when: (payload) => Array.isArray(payload.value),
      })
      .describe('The lanes of this gate, at least one; lane ids must be unique.'),
    yards: z
      .array(yardSchema)
      .default([])
      .describe(
        "The yards between this gate's lanes (docs/yard.md). All of a yard's lanes run in this daemon. Default: none.",
      ),
  })
  // Only once the sections are valid: the rule reads site.id, the lane ids and the mqtt section.
  .superRefine((config, ctx) => {
    const laneIds = config.lanes.map((l) => l.id);
    for (const problem of yardProblems(config.yards, laneIds))
      ctx.addIssue({ code: 'custom', path: ['yards', ...problem.path], message: problem.message });
    if (!config.mqtt) return;
    const { topicPrefix, central } = config.mqtt;
    reportProblems(
      ctx,
      replyPrefixOverlap({
        siteId: config.site.id,
        topicPrefix,
        replyPrefix: central.replyPrefix,
        laneIds: config.lanes.map((l) => l.id),
      }),
    );
  })
  .meta({
    title: 'smartgate configuration',
    description: 'One gate computer: the site, its lanes and their cameras, recognition and voting settings.',
  });

/** The validated configuration, with every default filled in. */
export type Config = z.infer<typeof configSchema>;
/** The configuration as written in the YAML file (defaults may be left out). */
export type ConfigInput = z.input<typeof configSchema>;
