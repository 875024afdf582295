import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { CN_PLATE_KINDS, VN_PLATE_KINDS } from '../../src/plates/kinds.js';
import { problemsOf } from '../helpers/config-problems.js';

const EXAMPLE = new URL('../../config/gate.example.yaml', import.meta.url).pathname;

/** Two valid lanes; cases below replace one line to break it. */
const BASE = `site:
  id: mlt-kth
  name: Ma Lù Thàng
lanes:
  - id: entry-1
    direction: entry
    camera:
      url: rtsp://192.168.10.21:554/Streaming/Channels/101
    roi: { x: 100, y: 100, w: 800, h: 400 }
  - id: exit-1
    direction: exit
    camera:
      url: rtsp://192.168.10.22:554/Streaming/Channels/101
`;

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test setup: "${from}" not in the base config`);
  return text.replace(from, to);
}

describe('parseConfig', () => {
  it('accepts the example file', async () => {
    const config = await loadConfig(EXAMPLE);
    expect(config.site).toEqual({ id: 'mlt-kth', name: 'Ma Lù Thàng – Kim Thủy Hà', timeZone: 'Asia/Ho_Chi_Minh' });
    expect(config.lanes.map((l) => [l.id, l.direction])).toEqual([
      ['entry-1', 'entry'],
      ['exit-1', 'exit'],
    ]);
    for (const lane of config.lanes) expect(lane.camera.url).toMatch(/^rtsp:\/\/192\.168\.10\.\d+:554\//);
    expect(config.lanes[1]!.roi).toEqual({ x: 200, y: 300, w: 880, h: 380 });
    expect(config.lanes[1]!.recognition.minConfidence).toBe(0.7);
    expect(config.lanes[1]!.voting.minVotes).toBe(3);
  });

  it('fills in every default', () => {
    const config = parseConfig(
      `site: { id: mlt-kth, name: Gate }
lanes:
  - id: entry-1
    direction: entry
    camera: { url: "file:/clips/lane1.mp4", width: 1920, height: 1080 }
`,
      'gate.yaml',
    );
    const expected: Config = {
      site: { id: 'mlt-kth', name: 'Gate', timeZone: 'Asia/Ho_Chi_Minh' },
      dataDir: './data',
      store: {
        synchronous: 'FULL',
        retentionDays: 90,
        quotaMb: 10240,
        retentionIntervalMs: 3_600_000,
        checkpointIntervalMs: 900_000,
        lists: { maxEntries: 200_000 },
      },
      log: { level: 'info' },
      http: {
        port: 8080,
        host: '127.0.0.1',
        maxConnections: 256,
        maxConnectionsPerAddress: 32,
        requestTimeoutMs: 15_000,
        maxConcurrentLogins: 2,
      },
      lanes: [
        {
          id: 'entry-1',
          name: 'entry-1',
          direction: 'entry',
          camera: {
            url: 'file:/clips/lane1.mp4',
            fps: 5,
            width: 1920,
            height: 1080,
            stallTimeoutMs: 10_000,
            backoff: { initialMs: 1000, maxMs: 30_000 },
            loop: true,
          },
          roi: { x: 0, y: 0, w: 1920, h: 1080 },
          recognition: {
            engine: 'ppocr',
            minConfidence: 0.6,
            motion: { enabled: true, threshold: 4, minChangedFraction: 0.002, holdMs: 2000 },
            countries: ['VN', 'CN'],
          },
          voting: {
            minVotes: 3,
            similarity: 0.75,
            vehicleGapMs: 3000,
            repeatWindowMs: 60_000,
            companionFrames: 2,
            minReadsUnreadable: 3,
            blurredEntryMs: 500,
          },
          decisions: {
            kindsAllowed: [...VN_PLATE_KINDS, ...CN_PLATE_KINDS],
            hours: [{ from: '00:00', to: '24:00' }],
            timeZone: 'Asia/Ho_Chi_Minh',
            minConfidence: 0.85,
            listsMaxAgeMs: 86_400_000,
            failClosed: true,
            declarations: 'off',
            nearMissDistance: 1,
          },
          barrier: {
            driver: 'none',
            baud: 9600,
            address: 1,
            channel: 1,
            coil: 0,
            mode: 'pulse',
            pulseMs: 500,
            openTimeoutMs: 10_000,
            commandDeadlineMs: 2000,
            pollMs: 200,
            responseTimeoutMs: 500,
            inputs: {},
          },
          flow: { waitAlarmMs: 120_000, passTimeoutMs: 20_000, cooldownMs: 10_000, boomCloseMs: 5000 },
        },
      ],
      yards: [],
    };
    expect(config).toEqual(expected);
  });

  it('fills nested defaults next to given values', () => {
    const config = parseConfig(
      edit(
        BASE,
        '    roi: { x: 100, y: 100, w: 800, h: 400 }',
        '    voting: { minVotes: 5 }\n    recognition: { motion: { enabled: false } }',
      ),
      'gate.yaml',
    );
    expect(config.lanes[0]!.voting).toEqual({
      minVotes: 5,
      similarity: 0.75,
      vehicleGapMs: 3000,
      repeatWindowMs: 60_000,
      companionFrames: 2,
      minReadsUnreadable: 3,
      blurredEntryMs: 500,
    });
    expect(config.lanes[0]!.recognition.motion).toEqual({
      enabled: false,
      threshold: 4,
      minChangedFraction: 0.002,
      holdMs: 2000,
    });
  });

  it.each(['file:///srv/clips/lane1.mp4', 'file:/srv/frames', 'file://localhost/srv/a.mp4', 'rtsps://cam.local/live'])(
    'accepts the camera URL %s',
    (url) => {
      const config = parseConfig(
        edit(BASE, 'url: rtsp://192.168.10.22:554/Streaming/Channels/101', `url: "${url}"`),
        'gate.yaml',
      );
      expect(config.lanes[1]!.camera.url).toBe(url);
    },
  );

  it('lets lanes share settings through YAML anchors and merge keys', () => {
    const text = `site: { id: s, name: S }
lanes:
  - &lane
    id: a
    direction: entry
    camera: { url: "rtsp://10.0.0.1/1" }
    voting: { minVotes: 4 }
  - <<: *lane
    id: b
    direction: exit
`;
    const config = parseConfig(text, 'gate.yaml');
    expect(config.lanes.map((l) => [l.id, l.direction, l.voting.minVotes])).toEqual([
      ['a', 'entry', 4],
      ['b', 'exit', 4],
    ]);
  });

  const badInputs: { name: string; text: string; problems: string[] }[] = [
    {
      name: 'a camera URL with another scheme',
      text: edit(BASE, 'url: rtsp://192.168.10.22', 'url: http://192.168.10.22'),
      problems: ['lanes[1].camera.url: expected rtsp://, rtsps:// or file:'],
    },
    {
      name: 'a scheme and nothing after it',
      text: edit(BASE, 'url: rtsp://192.168.10.22:554/Streaming/Channels/101', 'url: "rtsp://"'),
      problems: ['lanes[1].camera.url: expected a camera address after the scheme'],
    },
    {
      name: 'a file: URL with a relative path',
      text: edit(BASE, 'url: rtsp://192.168.10.22:554/Streaming/Channels/101', 'url: "file:clips/lane1.mp4"'),
      problems: ['lanes[1].camera.url: expected an absolute path after file: (e.g. file:///srv/clips/lane1.mp4)'],
    },
    {
      name: 'an unknown key',
      text: edit(BASE, '      url: rtsp://192.168.10.21', '      fsp: 10\n      url: rtsp://192.168.10.21'),
      problems: ['lanes[0].camera: unknown key "fsp"'],
    },
    {
      name: 'an unknown top-level key',
      text: `${BASE}lane:\n  - id: x\n`,
      problems: ['(top level): unknown key "lane"'],
    },
    {
      name: 'duplicate lane ids',
      text: edit(BASE, 'id: exit-1', 'id: entry-1'),
      problems: ['lanes[1].id: duplicate lane id "entry-1" (also used by lanes[0])'],
    },
    {
      name: 'the reserved lane id gate',
      text: edit(BASE, 'id: exit-1', 'id: gate'),
      problems: ['lanes[1].id: "gate" is reserved for events about the whole gate; choose another lane id'],
    },
    {
      name: 'a ROI past the right edge of the frame',
      text: edit(BASE, 'roi: { x: 100, y: 100, w: 800, h: 400 }', 'roi: { x: 500, y: 100, w: 800, h: 400 }'),
      problems: ['lanes[0].roi: x + w = 1300 reaches past the right edge of the 1280x720 frame'],
    },
    {
      name: 'a ROI past the bottom of a smaller frame',
      text: edit(
        BASE,
        '      url: rtsp://192.168.10.21:554/Streaming/Channels/101',
        '      url: rtsp://192.168.10.21/1\n      width: 960\n      height: 480',
      ),
      problems: ['lanes[0].roi: y + h = 500 reaches past the bottom edge of the 960x480 frame'],
    },
    {
      name: 'a string where a number belongs',
      text: edit(BASE, '      url: rtsp://192.168.10.21', '      fps: fast\n      url: rtsp://192.168.10.21'),
      problems: ['lanes[0].camera.fps: expected a number, got "fast"'],
    },
    {
      name: 'a fraction where a whole number belongs',
      text: edit(BASE, 'w: 800', 'w: 800.5'),
      problems: ['lanes[0].roi.w: expected an integer, got 800.5'],
    },
    {
      name: 'a number out of range',
      text: edit(BASE, '    direction: exit', '    direction: exit\n    recognition: { minConfidence: 1.5 }'),
      problems: ['lanes[1].recognition.minConfidence: must be at most 1'],
    },
    {
      name: 'a negative floor on the weakest character',
      text: edit(BASE, '    direction: exit', '    direction: exit\n    recognition: { minCharConfidence: -0.1 }'),
      problems: ['lanes[1].recognition.minCharConfidence: must be at least 0'],
    },
    {
      name: 'a value that is not one of the choices',
      text: edit(BASE, 'direction: exit', 'direction: out'),
      problems: ['lanes[1].direction: expected "entry" or "exit", got "out"'],
    },
    {
      name: 'an unknown country',
      text: edit(BASE, '    direction: exit', '    direction: exit\n    recognition: { countries: [VN, LA] }'),
      problems: ['lanes[1].recognition.countries[1]: expected "VN" or "CN", got "LA"'],
    },
    {
      name: 'a missing required field',
      text: edit(BASE, '  id: mlt-kth\n', ''),
      problems: ['site.id: required'],
    },
    {
      name: 'an id that is not a slug',
      text: edit(BASE, 'id: mlt-kth', 'id: MLT_KTH'),
      problems: ['site.id: expected a slug: lowercase letters, digits and single dashes (e.g. mlt-kth)'],
    },
    {
      name: 'a mapping where a list belongs',
      text: 'site: { id: s, name: S }\nlanes: { id: a }\n',
      problems: ['lanes: expected a list, got a mapping'],
    },
    {
      name: 'no lanes',
      text: 'site: { id: s, name: S }\nlanes: []\n',
      problems: ['lanes: must have at least 1 item'],
    },
    {
      name: 'a backoff that shrinks',
      text: edit(
        BASE,
        '    direction: exit\n    camera:\n',
        '    direction: exit\n    camera:\n      backoff: { initialMs: 5000, maxMs: 2000 }\n',
      ),
      problems: ['lanes[1].camera.backoff.maxMs: must be at least initialMs (5000)'],
    },
    {
      name: 'a second read asked of an engine that cannot read twice',
      text: edit(
        BASE,
        '    direction: exit\n',
        '    direction: exit\n    recognition: { engine: ppocr, secondRead: true }\n',
      ),
      problems: ['lanes[1].recognition.secondRead: only platenet can read a plate twice; engine is ppocr'],
    },
    {
      name: 'a second reader asked of an engine that has none',
      text: edit(
        BASE,
        '    direction: exit\n',
        '    direction: exit\n    recognition: { engine: ppocr, secondReader: true }\n',
      ),
      problems: ['lanes[1].recognition.secondReader: only platenet has a second reader; engine is ppocr'],
    },
    {
      name: 'a glimpse threshold of no reads',
      text: edit(BASE, '    direction: exit\n', '    direction: exit\n    voting: { minReadsUnreadable: 0 }\n'),
      problems: ['lanes[1].voting.minReadsUnreadable: must be at least 1'],
    },
    {
      name: 'a negative window for a blurred entering plate',
      text: edit(BASE, '    direction: exit\n', '    direction: exit\n    voting: { blurredEntryMs: -1 }\n'),
      problems: ['lanes[1].voting.blurredEntryMs: must be at least 0'],
    },
    {
      name: 'an empty file',
      text: '# nothing here yet\n',
      problems: ['site: required', 'lanes: required'],
    },
    {
      name: 'a YAML syntax error',
      text: edit(BASE, 'name: Ma Lù Thàng', 'name: [Ma Lù Thàng'),
      problems: [
        'gate.yaml:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    },
    {
      name: 'a duplicate YAML key',
      text: edit(BASE, '  name: Ma Lù Thàng\n', '  name: Ma Lù Thàng\n  name: Again\n'),
      problems: ['gate.yaml:4:3: YAML syntax error: Map keys must be unique'],
    },
  ];

  it.each(badInputs)('reports $name', ({ text, problems }) => {
    expect(problemsOf(text)).toEqual(problems);
  });

  it('reports every problem at once, not just the first', () => {
    let text = edit(BASE, 'url: rtsp://192.168.10.22', 'url: http://192.168.10.22');
    text = edit(text, '      url: rtsp://192.168.10.21', '      fsp: 10\n      url: rtsp://192.168.10.21');
    text = edit(text, 'id: exit-1', 'id: entry-1');
    text = edit(text, 'roi: { x: 100, y: 100, w: 800, h: 400 }', 'roi: { x: 500, y: 100, w: 800, h: 400 }');
    text = edit(text, '  id: mlt-kth\n', '');
    text = edit(text, 'direction: exit', 'direction: exit\n    voting: { minVotes: 2.5 }');
    const problems = problemsOf(text);
    expect([...problems].sort()).toEqual(
      [
        'site.id: required',
        'lanes[0].camera: unknown key "fsp"',
        'lanes[0].roi: x + w = 1300 reaches past the right edge of the 1280x720 frame',
        'lanes[1].camera.url: expected rtsp://, rtsps:// or file:',
        'lanes[1].id: duplicate lane id "entry-1" (also used by lanes[0])',
        'lanes[1].voting.minVotes: expected an integer, got 2.5',
      ].sort(),
    );
  });

  it('names the source in the error message', () => {
    expect(() => parseConfig('lanes: []\n', 'site-a.yaml')).toThrow(
      /^invalid configuration in site-a\.yaml:\n {2}site: required\n/,
    );
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartgate-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and validates a file', async () => {
    const path = join(dir, 'gate.yaml');
    await writeFile(path, BASE);
    const config = await loadConfig(path);
    expect(config.lanes.map((l) => l.id)).toEqual(['entry-1', 'exit-1']);
  });

  it('reports problems with the file name in YAML errors', async () => {
    const path = join(dir, 'broken.yaml');
    await writeFile(path, 'site: [\n');
    await expect(loadConfig(path)).rejects.toMatchObject({
      problems: [expect.stringMatching(new RegExp(`^${path}:2:1: YAML syntax error: `))],
    });
  });

  it('says clearly when the file is missing', async () => {
    const path = join(dir, 'missing.yaml');
    const err = await loadConfig(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([`${path}: file not found`]);
  });

  it('says so when given a directory', async () => {
    await expect(loadConfig(dir)).rejects.toMatchObject({ problems: [`${dir}: is a directory, expected a YAML file`] });
  });
});
