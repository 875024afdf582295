import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_CLIP = `${root}.cache/demo/lane-1.mp4`;
export const CLI = `${root}dist/cli/main.js`;

export interface DemoPlate {
  text: string;
  display: string;
  country: string;
  kind: string;
  layout: string;
}

export interface DemoVehicle {
  index: number;
  plate: DemoPlate | null;
  /** A second plate beside the first: the cross-border truck's Vietnamese temporary plate. */
  secondPlate?: DemoPlate;
  window: { start: number; end: number };
}

/** The demo clip (rendered by the project's script if set-up has not yet) and its sidecar's vehicles. */
export async function demoClip(): Promise<{ path: string; vehicles: DemoVehicle[] }> {
  if (!existsSync(DEMO_CLIP)) {
    await promisify(execFile)(process.execPath, [`${root}scripts/render-demo-clip.mjs`, '--out', DEMO_CLIP]);
  }
  const sidecar = JSON.parse(readFileSync(DEMO_CLIP.replace(/\.mp4$/, '.json'), 'utf8')) as { vehicles: DemoVehicle[] };
  return { path: DEMO_CLIP, vehicles: sidecar.vehicles };
}

/** The built command line; the tests of the commands run it as a user would. */
export function builtCli(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  return CLI;
}
