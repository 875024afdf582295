import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { laneDecisionsSchema, minutesOfDay } from '../../src/config/decisions.js';
import { formatConfigIssues } from '../../src/config/issues.js';
import { CN_PLATE_KINDS, PLATE_KINDS, VN_PLATE_KINDS } from '../../src/plates/kinds.js';

const problems = (input: unknown): string[] => {
  const result = laneDecisionsSchema.safeParse(input, { reportInput: true });
  return result.success ? [] : formatConfigIssues(result.error);
};

describe('lane decisions config', () => {
  it('fills every default when the section is left out', () => {
    expect(laneDecisionsSchema.parse(undefined)).toEqual({
      kindsAllowed: [...VN_PLATE_KINDS, ...CN_PLATE_KINDS],
      hours: [{ from: '00:00', to: '24:00' }],
      timeZone: 'Asia/Ho_Chi_Minh',
      minConfidence: 0.85,
      listsMaxAgeMs: 86_400_000,
      failClosed: true,
      declarations: 'off',
      nearMissDistance: 1,
    });
  });

  it('allows every kind of both countries by default', () => {
    expect(laneDecisionsSchema.parse({}).kindsAllowed).toEqual(
      expect.arrayContaining(['car', 'motorbike', 'temporary', 'ordinary', 'new-energy', 'trailer']),
    );
    expect(PLATE_KINDS).toHaveLength(16);
  });

  it('takes what is given and fills the rest', () => {
    const parsed = laneDecisionsSchema.parse({
      kindsAllowed: ['commercial', 'ordinary', 'trailer'],
      hours: [{ from: '22:00', to: '06:00' }],
      timeZone: 'Asia/Shanghai',
      failClosed: false,
    });
    expect(parsed).toEqual({
      kindsAllowed: ['commercial', 'ordinary', 'trailer'],
      hours: [{ from: '22:00', to: '06:00' }],
      timeZone: 'Asia/Shanghai',
      minConfidence: 0.85,
      listsMaxAgeMs: 86_400_000,
      failClosed: false,
      declarations: 'off',
      nearMissDistance: 1,
    });
  });

  it.each([
    [{ kindsAllowed: ['lorry'] }, 'kindsAllowed[0]: expected'],
    [{ kindsAllowed: [] }, 'kindsAllowed: must have at least 1 item'],
    [{ hours: [] }, 'hours: must have at least 1 item'],
    [{ hours: [{ from: '6:00', to: '22:00' }] }, 'hours[0].from: expected a time of day HH:MM, 00:00 to 23:59'],
    [{ hours: [{ from: '24:00', to: '06:00' }] }, 'hours[0].from: expected a time of day HH:MM, 00:00 to 23:59'],
    [{ hours: [{ from: '06:00', to: '22:60' }] }, 'hours[0].to: expected a time of day HH:MM, 00:00 to 24:00'],
    [
      {
        hours: [
          { from: '06:00', to: '22:00' },
          { from: '08:00', to: '08:00' },
        ],
      },
      'hours[1].to: from and to are the same time; write 00:00 to 24:00 for the whole day',
    ],
    [{ hours: [{ from: '06:00' }] }, 'hours[0].to: required'],
    [{ hours: [{ from: '06:00', to: '22:00', days: 'mon' }] }, 'hours[0]: unknown key "days"'],
    [{ timeZone: 'Asia/Hanoi' }, 'timeZone: expected an IANA time zone, e.g. Asia/Ho_Chi_Minh'],
    [{ minConfidence: 1.5 }, 'minConfidence: must be at most 1'],
    [{ minConfidence: -0.1 }, 'minConfidence: must be at least 0'],
    [{ listsMaxAgeMs: 0 }, 'listsMaxAgeMs: must be greater than 0'],
    [{ listsMaxAgeMs: 1.5 }, 'listsMaxAgeMs: expected an integer'],
    [{ failClosed: 'yes' }, 'failClosed: expected'],
    [{ nearMissDistance: 4 }, 'nearMissDistance: must be at most 3'],
    [{ nearMissDistance: -1 }, 'nearMissDistance: must be at least 0'],
    [{ nearMiss: 1 }, '(top level): unknown key "nearMiss"'],
  ])('refuses %j', (input, problem) => {
    const found = problems(input);
    expect(found).toHaveLength(1);
    expect(found[0]!.startsWith(problem), found[0]).toBe(true);
  });

  it('accepts the whole day, a window up to midnight and one across it', () => {
    for (const hours of [
      [{ from: '00:00', to: '24:00' }],
      [{ from: '18:00', to: '24:00' }],
      [{ from: '22:00', to: '06:00' }],
    ]) {
      expect(problems({ hours })).toEqual([]);
    }
  });

  it('reads HH:MM as minutes of the day', () => {
    expect([minutesOfDay('00:00'), minutesOfDay('06:30'), minutesOfDay('23:59'), minutesOfDay('24:00')]).toEqual([
      0, 390, 1439, 1440,
    ]);
  });

  it('writes a JSON schema (the config document is generated from it)', () => {
    const schema = z.toJSONSchema(laneDecisionsSchema, { io: 'input', target: 'draft-7' }) as {
      properties: Record<string, { description?: string }>;
    };
    for (const [field, property] of Object.entries(schema.properties)) expect(property.description, field).toBeTruthy();
  });
});
