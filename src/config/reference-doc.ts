import { configJsonSchema } from './json-schema.js';

/**
 * docs/configuration.md, generated from the JSON Schema (and so from the zod descriptions),
 * so the reference cannot drift from the code: a unit test compares it with the committed file.
 */
export function configReferenceMarkdown(): string {
  const root = configJsonSchema() as JsonSchema;
  const sections = Object.entries(root.properties ?? {}).map(([key, node]) => {
    const rows = fieldRows(node, key, root.required?.includes(key) ?? false);
    return [`## \`${key}\``, '', TABLE_HEAD, ...rows.map(formatRow), ''].join('\n');
  });
  return [...INTRO, ...sections, ...RULES].join('\n');
}

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
}

interface Row {
  field: string;
  type: string;
  default: string;
  meaning: string;
}

const TABLE_HEAD = '| Field | Type | Default | Meaning |\n| --- | --- | --- | --- |';

function fieldRows(node: JsonSchema, path: string, required: boolean): Row[] {
  const own: Row = {
    field: path,
    type: typeText(node),
    default: defaultText(node, required),
    meaning: node.description ?? '',
  };
  const objectNode = node.type === 'array' && node.items?.properties ? node.items : node;
  const childPath = objectNode === node ? path : `${path}[]`;
  const children = Object.entries(objectNode.properties ?? {}).flatMap(([key, child]) =>
    fieldRows(child, `${childPath}.${key}`, objectNode.required?.includes(key) ?? false),
  );
  return [own, ...children];
}

function typeText(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' or ');
  switch (node.type) {
    case 'object':
      return 'mapping';
    case 'array': {
      const items = node.items?.properties ? 'mappings' : node.items ? typeText(node.items) : 'values';
      return `list of ${items}${node.minItems ? `, at least ${node.minItems}` : ''}`;
    }
    case 'integer':
    case 'number':
      return [node.type, rangeText(node)].filter(Boolean).join(', ');
    case 'string': {
      const base = node.minLength ? 'non-empty string' : 'string';
      return node.pattern ? `${base} matching \`${node.pattern}\`` : base;
    }
    default:
      return node.type ?? 'any';
  }
}

function rangeText(node: JsonSchema): string {
  const low =
    node.exclusiveMinimum !== undefined
      ? `> ${node.exclusiveMinimum}`
      : node.minimum !== undefined
        ? `≥ ${node.minimum}`
        : '';
  const high =
    node.exclusiveMaximum !== undefined
      ? `< ${node.exclusiveMaximum}`
      : node.maximum !== undefined
        ? `≤ ${node.maximum}`
        : '';
  if (node.minimum !== undefined && node.maximum !== undefined) return `${node.minimum}..${node.maximum}`;
  return [low, high].filter(Boolean).join(' and ');
}

function defaultText(node: JsonSchema, required: boolean): string {
  if (required) return '**required**';
  if (node.default === undefined) return 'optional';
  if (isEmptyMapping(node.default)) return 'all fields default';
  return `\`${JSON.stringify(node.default)}\``;
}

const isEmptyMapping = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

function formatRow(row: Row): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return `| \`${row.field}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.meaning)} |`;
}

const INTRO = [
  '# Configuration reference',
  '',
  '<!-- Generated from src/config by scripts/gen-config-schema.mjs; do not edit by hand. -->',
  '',
  'A gate computer runs from one YAML file: `smartgate run --config FILE`. Check a file without',
  'starting anything with `smartgate check-config FILE`: it prints every problem, one per line, as',
  '`path: what is wrong` (for example `lanes[1].camera.url: expected rtsp://, rtsps:// or file:`),',
  'and exits with status 2, or prints a one-line summary and exits with 0 (after a `warning:` line on',
  "stderr for each setting that is valid but likely not meant, such as an uplink without central's key).",
  '',
  'A commented example is [config/gate.example.yaml](../config/gate.example.yaml). Editors with the',
  'YAML language server complete and check fields through the JSON Schema',
  '[config/smartgate.schema.json](../config/smartgate.schema.json), which the example names in its',
  'first line.',
  '',
  'Unknown keys are errors everywhere (a misspelt key would otherwise be silently ignored).',
  'Fields marked *required* must be given; every other field may be left out and takes its default.',
  'Anchors and merge keys (`<<: *defaults`) may be used to share settings between lanes.',
  '',
];

const RULES = [
  '## Rules across fields',
  '',
  '- Lane ids are unique within the file.',
  "- A lane's `roi` lies inside its camera frame: `x + w ≤ camera.width` and `y + h ≤ camera.height`.",
  '- `camera.backoff.maxMs` is at least `camera.backoff.initialMs`.',
  '- `mqtt.commands.actuatingMaxAgeMs` is at most `mqtt.commands.maxAgeMs`.',
  "- `mqtt.central.replyPrefix` (or its default) does not overlap a topic the gate publishes or subscribes to (its lanes' events and state, its yards' state, its post-check summary, its status, health, key, commands and lists); the lane ids `gate`, `commands`, `lists`, `replies`, `yards` and `postcheck` are reserved.",
  '',
];
