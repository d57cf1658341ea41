// The core runs unchanged in browsers, workers and Node, so it is checked against plain ES2022
// with no DOM or Node types. These are the only runtime globals it relies on; every target has them.
declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
