import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The demo's two clips: lane-1's at the border gate (`entry`), lane-2's at the yard's exit (`exit`). */
export const DEMO_CLIPS = {
  entry: `${root}.cache/demo/lane-1.mp4`,
  exit: `${root}.cache/demo/lane-2.mp4`,
} as const;
export type DemoScene = keyof typeof DEMO_CLIPS;
export const DEMO_CLIP = DEMO_CLIPS.entry;
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

/** A demo clip (rendered by the project's script if set-up has not yet) and its sidecar's vehicles. */
export async function demoClip(scene: DemoScene = 'entry'): Promise<{ path: string; vehicles: DemoVehicle[] }> {
  const path = DEMO_CLIPS[scene];
  if (!existsSync(path)) {
    await promisify(execFile)(process.execPath, [
      `${root}scripts/render-demo-clip.mjs`,
      '--scene',
      scene,
      '--out',
      path,
    ]);
  }
  const sidecar = JSON.parse(readFileSync(path.replace(/\.mp4$/, '.json'), 'utf8')) as { vehicles: DemoVehicle[] };
  return { path, vehicles: sidecar.vehicles };
}

/** Both demo clips, as `smartgate demo` plays them. */
export async function demoClips(): Promise<Record<DemoScene, { path: string; vehicles: DemoVehicle[] }>> {
  return { entry: await demoClip('entry'), exit: await demoClip('exit') };
}

/** The plates a clip's vehicles carry (both of the truck's). */
export function platesOf(vehicles: readonly DemoVehicle[]): string[] {
  return vehicles.flatMap((v) => [v.plate, v.secondPlate].flatMap((p) => (p ? [p.text] : [])));
}

/** The built command line; the tests of the commands run it as a user would. */
export function builtCli(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  return CLI;
}
