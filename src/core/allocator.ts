/**
 * The daemon's malloc. glibc's keeps the pages a long-running, many-threaded process frees (the
 * decoder's frames, onnxruntime's and libvips' buffers) and its RSS steps up 20-30 MB over an hour
 * on Node.js 24; jemalloc hands them back after a second (docs/benchmarks.md, "The hour on
 * Node.js 24"). dist/cli/main.js's `#!` line preloads Debian's libjemalloc2 by its soname, so
 * the dynamic loader finds it on any architecture; where it is missing the loader says so once
 * and glibc's malloc (with the line's MALLOC_* settings) serves instead — `smartgate doctor`
 * warns about that.
 */
export const JEMALLOC_SONAME = 'libjemalloc.so.2';

/** jemalloc's settings in the `#!` line: two arenas for two cores, and freed pages returned within a second. */
export const JEMALLOC_CONF = 'narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0';

/**
 * Takes the preload out of the environment the daemon's children inherit: it was chosen for the
 * daemon. ffmpeg and systemd-notify keep their own malloc, and on a machine without the library
 * they do not repeat the loader's complaint at every start (systemd-notify runs every 20 s).
 * Only the `#!` line's own values are removed; a preload someone set by hand stays.
 */
export function forgetAllocatorPreload(env: NodeJS.ProcessEnv): void {
  if (env.LD_PRELOAD === JEMALLOC_SONAME) delete env.LD_PRELOAD;
  if (env.MALLOC_CONF === JEMALLOC_CONF) delete env.MALLOC_CONF;
}

/** Whether a process's memory map (`/proc/PID/maps`) shows jemalloc loaded. */
export function mapsShowJemalloc(maps: string): boolean {
  return maps.split('\n').some((line) => line.endsWith(`/${JEMALLOC_SONAME}`));
}
