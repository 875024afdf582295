import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVerifiedModel, readVerifiedModel, ModelIntegrityError } from '../../vision/model-manifest.js';
import { defaultModelPaths, PPOCR_PINS } from '../../vision/ppocr/models.js';
import {
  DETECTOR_FILE,
  detectorManifestSchema,
  READER_FILE,
  readerManifestSchema,
  SECOND_READER_FILE,
} from '../../vision/platenet/manifests.js';
import { secondReaderOf } from '../../config/recognition.js';
import { fail, ok, type Check } from '../types.js';

/** engines.ts's DEFAULT_MODELS_DIR, found the same way, without loading the ONNX runtime it imports. */
const SHIPPED_MODELS_DIR = fileURLToPath(new URL('../../../models', import.meta.url));

/**
 * The models every lane's engine loads, checked as the daemon checks them at start (size and
 * sha256 against the manifest or pin), without loading the ONNX runtime.
 */
export function modelsCheck(): Check {
  const name = 'models';
  return {
    name,
    timeoutMs: 60_000,
    async run({ config }) {
      const files: string[] = [];
      const seen = new Set<string>();
      try {
        for (const lane of config.lanes) {
          const { engine, modelsDir } = lane.recognition;
          // ppocr's come from its package
          const key = engine === 'ppocr' ? engine : `${engine}:${modelsDir ?? ''}:${secondReaderOf(lane.recognition)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          if (engine === 'ppocr') {
            const paths = defaultModelPaths();
            for (const part of ['detection', 'recognition', 'dictionary'] as const) {
              readVerifiedModel(paths[part], PPOCR_PINS[part], 'the PP-OCRv4 pin');
              files.push(paths[part]);
            }
          } else {
            const dir = modelsDir ?? SHIPPED_MODELS_DIR;
            loadVerifiedModel(join(dir, DETECTOR_FILE), detectorManifestSchema);
            files.push(join(dir, DETECTOR_FILE));
            for (const reader of secondReaderOf(lane.recognition) ? [READER_FILE, SECOND_READER_FILE] : [READER_FILE]) {
              loadVerifiedModel(join(dir, reader), readerManifestSchema);
              files.push(join(dir, reader));
            }
          }
        }
      } catch (err) {
        if (!(err instanceof ModelIntegrityError)) throw err;
        return fail(
          name,
          err.message,
          'reinstall smartgate (or put back the models/ folder it shipped with): the daemon refuses to start on this model',
        );
      }
      const engines = [...new Set([...seen].map((k) => k.split(':')[0]))].join(', ');
      return ok(name, `${files.length} files of ${engines} match their manifests and pins`);
    },
  };
}
