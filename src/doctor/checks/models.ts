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
      // Each file once, however many lanes load it.
      const files: string[] = [];
      const engines = new Set<string>();
      const verify = (path: string, check: () => unknown) => {
        if (files.includes(path)) return;
        check();
        files.push(path);
      };
      try {
        for (const lane of config.lanes) {
          const { engine, modelsDir } = lane.recognition;
          engines.add(engine);
          if (engine === 'ppocr') {
            // ppocr's come from its package
            const paths = defaultModelPaths();
            for (const part of ['detection', 'recognition', 'dictionary'] as const) {
              verify(paths[part], () => readVerifiedModel(paths[part], PPOCR_PINS[part], 'the PP-OCRv4 pin'));
            }
          } else {
            const dir = modelsDir ?? SHIPPED_MODELS_DIR;
            verify(join(dir, DETECTOR_FILE), () => loadVerifiedModel(join(dir, DETECTOR_FILE), detectorManifestSchema));
            const readers = secondReaderOf(lane.recognition) ? [READER_FILE, SECOND_READER_FILE] : [READER_FILE];
            for (const reader of readers) {
              verify(join(dir, reader), () => loadVerifiedModel(join(dir, reader), readerManifestSchema));
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
      return ok(name, `${files.length} files of ${[...engines].join(', ')} match their manifests and pins`);
    },
  };
}
