import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forgetAllocatorPreload, JEMALLOC_CONF, JEMALLOC_SONAME, mapsShowJemalloc } from '../../src/core/allocator.js';
import { judgeAllocator } from '../../src/doctor/checks/allocator.js';

// jemalloc as the daemon's malloc: preloaded by dist/cli/main.js's #! line, kept from its children.

describe('allocator', () => {
  it("is what src/cli/main.ts's #! line preloads, with the settings named here", () => {
    const shebang = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8').split('\n')[0] ?? '';
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S /);
    expect(shebang.split(' ')).toEqual(
      expect.arrayContaining([`LD_PRELOAD=${JEMALLOC_SONAME}`, `MALLOC_CONF=${JEMALLOC_CONF}`, 'node']),
    );
    // Linux reads at most 255 bytes of a #! line; past that the line is cut.
    expect(Buffer.byteLength(shebang)).toBeLessThan(256);
  });

  it.each([
    // what the environment held, what the children inherit
    [{ LD_PRELOAD: JEMALLOC_SONAME, MALLOC_CONF: JEMALLOC_CONF, PATH: '/bin' }, { PATH: '/bin' }],
    [
      { LD_PRELOAD: '/opt/profiler/libtrace.so', MALLOC_CONF: 'narenas:8' },
      { LD_PRELOAD: '/opt/profiler/libtrace.so', MALLOC_CONF: 'narenas:8' },
    ],
    [{ LD_PRELOAD: `${JEMALLOC_SONAME}:libother.so` }, { LD_PRELOAD: `${JEMALLOC_SONAME}:libother.so` }],
    [{}, {}],
  ])('takes only its own preload out of %j', (env, inherited) => {
    const copy: NodeJS.ProcessEnv = { ...env };
    forgetAllocatorPreload(copy);
    expect(copy).toEqual(inherited);
  });

  it.each([
    ['7f2c1a000000-7f2c1a00a000 r--p 00000000 fe:01 1315 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2', true],
    ['ffff8a000000-ffff8a00a000 r-xp 00000000 fe:01 1315 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2', true],
    ['7f2c1a000000-7f2c1a00a000 r--p 00000000 fe:01 1316 /usr/lib/x86_64-linux-gnu/libc.so.6', false],
    ['7f2c1a000000-7f2c1a00a000 r--p 00000000 fe:01 1317 /home/x/libjemalloc.so.2.bak', false],
    ['', false],
  ])('reads a memory map: %s', (maps, loaded) => {
    expect(mapsShowJemalloc(`55d0c0000000-55d0c0001000 r--p 00000000 fe:01 12 /usr/bin/node\n${maps}\n`)).toBe(loaded);
  });
});

describe('doctor: allocator', () => {
  it.each([
    // loaded, installed, severity, what the line says, what the fix says
    [true, true, 'ok', 'jemalloc (libjemalloc.so.2)', ''],
    [false, false, 'warn', 'is not installed', 'apt-get install libjemalloc2'],
    [false, true, 'warn', 'installed but this process did not load it', 'not `node dist/cli/main.js`'],
  ] as const)('loaded %s, installed %s: %s', (loaded, installed, severity, detail, fix) => {
    const result = judgeAllocator('allocator', loaded, installed);
    expect(result.severity).toBe(severity);
    expect(result.detail).toContain(detail);
    expect(result.fix).toContain(fix);
  });
});
