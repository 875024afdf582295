#!/usr/bin/env -S LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0 MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=262144 node --max-semi-space-size=2
// The daemon's memory on a 2-core gate computer (docs/benchmarks.md, "Memory over an hour"):
// jemalloc (Debian's libjemalloc2, preloaded by its soname; src/core/allocator.ts) hands freed
// pages back within a second, where glibc's malloc keeps them and the RSS steps up over an hour.
// Where the library is missing, glibc's malloc serves, held by the MALLOC_* settings: two arenas
// for onnxruntime's, libvips' and libuv's threads, and a fixed mmap threshold, so the freed
// 2.7 MB frame buffers are unmapped rather than left to fragment the heap. V8's young generation
// keeps two 2 MB semi-spaces instead of up to 16 MB each. `smartgate` (the installed command,
// `npm run demo`) starts through this line; `node dist/cli/main.js` does not.
import { forgetAllocatorPreload } from '../core/allocator.js';

/**
 * The `smartgate` command: one subcommand per job. Each lives in its own module and is loaded
 * only when asked for, so `check-config` does not load the ONNX runtime.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }> = {
  run: {
    summary: 'run the gate daemon: smartgate run --config FILE',
    load: async () => (await import('./run.js')).runCommand,
  },
  demo: {
    summary: 'run a demo lane on embedded defaults: smartgate demo [--data-dir DIR] [--mqtt-url URL] [--http-port N]',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  recognize: {
    summary: 'read plates in still images: smartgate recognize [--jsonl] [--plate-crops] IMAGE...',
    load: async () => (await import('./recognize.js')).recognizeCommand,
  },
  tail: {
    summary:
      'follow the events as central receives them: smartgate tail --mqtt-url URL [--site S] [--username U --password-file F]',
    load: async () => (await import('./tail.js')).tailCommand,
  },
  sign: {
    summary: "central's signed commands: smartgate sign keygen|send --private-key FILE ... (smartgate sign --help)",
    load: async () => (await import('./sign.js')).signCommand,
  },
  barrier: {
    summary:
      'a barrier by hand: smartgate barrier --config FILE --lane ID status | open --operator NAME --reason TEXT (recorded), or --driver lcus|modbus --device PATH ... status | open --unrecorded (wiring test)',
    load: async () => (await import('./barrier.js')).barrierCommand,
  },
  user: {
    summary:
      'accounts of the status page: smartgate user add|passwd|remove|list --data-dir DIR [--username NAME] [--role R] [--password-stdin]',
    load: async () => (await import('./user.js')).userCommand,
  },
  reconcile: {
    summary:
      "one day's post-check of fee declarations, beside the running daemon: smartgate reconcile --data-dir DIR [--day YYYY-MM-DD] [--format json|csv]",
    load: async () => (await import('./reconcile.js')).reconcileCommand,
  },
  verify: {
    summary:
      "check the gate's records against its evidence chain, beside the running daemon: smartgate verify --data-dir DIR [--from EVENT_ID|YYYY-MM-DD] [--public-key FILE_OR_TEXT] [--json]",
    load: async () => (await import('./verify.js')).verifyCommand,
  },
  key: {
    summary: "the gate's public key, to give central: smartgate key show --data-dir DIR [--json]",
    load: async () => (await import('./key.js')).keyCommand,
  },
  backup: {
    summary:
      'a consistent copy of the store and the gate key, beside the running daemon: smartgate backup --data-dir DIR --to FILE [--force]',
    load: async () => (await import('./backup.js')).backupCommand,
  },
  restore: {
    summary: 'put a backup back, with the daemon stopped: smartgate restore --data-dir DIR --from FILE [--force]',
    load: async () => (await import('./restore.js')).restoreCommand,
  },
  doctor: {
    summary:
      'check a site before and after go-live (config, models, cameras, relay boards, broker, clock, disk, outbox): smartgate doctor --config FILE [--snapshots DIR] [--json]',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  'check-config': {
    summary: 'validate a config file: smartgate check-config FILE',
    load: async () => (await import('./check-config.js')).checkConfigCommand,
  },
  version: {
    summary: "print smartgate's version, as MQTT and the status page show it: smartgate version (or --version)",
    load: async () => (await import('./version.js')).versionCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `usage: smartgate COMMAND [options]\n       smartgate --version\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const name = first === '--version' ? 'version' : first;
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  if (!name) {
    process.stderr.write(usage());
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`smartgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest);
}

forgetAllocatorPreload(process.env);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`smartgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
