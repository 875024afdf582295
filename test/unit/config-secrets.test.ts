import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';
import { isSecretPath, secret } from '../../src/config/secrets.js';
import { problemsOf } from '../helpers/config-problems.js';

// Issue 20, item 13: a config error never prints the value of a secret field, and what the
// yaml library throws (an alias bomb, input nested too deep) is a config error, not a crash.

const BASE = `site: { id: mlt-kth, name: Gate }
lanes:
  - id: entry-1
    direction: entry
    camera: { url: rtsp://192.168.10.21:554/1 }
`;

/** "billion laughs": each level repeats the one before nine times, 9^8 strings in all. */
function aliasBomb(): string {
  const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++)
    lines.push(
      `${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('secret config fields', () => {
  it.each([
    ['a number', '12345678901', 'expected a string, got a number'],
    ['true', 'true', 'expected a string, got a boolean'],
    ['a list', '[hunter2, hunter3]', 'expected a string, got a list'],
  ])('names the field and the type found for mqtt.password given %s, never the value', (_case, value, problem) => {
    const problems = problemsOf(`${BASE}mqtt: { url: mqtt://127.0.0.1:1883, password: ${value} }\n`);
    expect(problems).toEqual([`mqtt.password: ${problem}`]);
    for (const secretPart of ['12345678901', 'hunter', 'true']) expect(problems.join('\n')).not.toContain(secretPart);
  });

  it('still prints the value of a field that is not secret', () => {
    expect(problemsOf(`${BASE}mqtt: { url: mqtt://127.0.0.1:1883, username: 12345678901 }\n`)).toEqual([
      'mqtt.username: expected a string, got 12345678901',
    ]);
  });

  it('finds the secret through optional wrappers, lists and unions, and nowhere else', () => {
    const schema = z.strictObject({
      a: z.array(z.strictObject({ pw: secret().optional().describe('x') })).default([]),
      b: z.union([z.strictObject({ token: secret() }), z.string()]),
      c: z.string(),
    });
    expect(isSecretPath(schema, ['a', 3, 'pw'])).toBe(true);
    expect(isSecretPath(schema, ['b', 'token'])).toBe(true);
    expect(isSecretPath(schema, ['c'])).toBe(false);
    expect(isSecretPath(schema, ['a', 3])).toBe(false);
    expect(isSecretPath(schema, ['nope', 'pw'])).toBe(false);
    expect(isSecretPath(configSchema, ['mqtt', 'password'])).toBe(true);
    expect(isSecretPath(configSchema, ['mqtt', 'username'])).toBe(false);
    expect(isSecretPath(configSchema, ['mqtt', 'tls', 'key'])).toBe(false); // a path to a key file
  });
});

describe('what the yaml library throws', () => {
  it('turns an alias bomb into one clear config problem', () => {
    expect(problemsOf(`${BASE}${aliasBomb()}`)).toEqual([
      expect.stringMatching(
        /^gate\.yaml: YAML cannot be read: its aliases \(\*name\) expand to too much data .*alias bomb/,
      ),
    ]);
  });

  it('turns input nested too deeply into a config problem', () => {
    const problems = problemsOf(`${BASE}extra: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^gate\.yaml:\d+:\d+: YAML syntax error: nested too deeply$/);
  });

  it('still lets lanes share settings through a few aliases', () => {
    const text = `site: { id: mlt-kth, name: Gate }
defaults: &cam { url: rtsp://192.168.10.21:554/1 }
lanes:
${Array.from({ length: 20 }, (_, i) => `  - { id: lane-${i}, direction: entry, camera: *cam }`).join('\n')}
`;
    // `defaults` is not a config key: the aliases resolve, then the schema names the extra key.
    expect(problemsOf(text)).toEqual(['(top level): unknown key "defaults"']);
  });
});
