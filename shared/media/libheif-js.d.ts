/**
 * The part of libheif-js (libheif compiled to WebAssembly) that decode-heic.ts uses; the package
 * ships no typings for its JavaScript wrapper.
 */
declare module 'libheif-js/wasm-bundle.js' {
  interface HeifImage {
    /** After the `irot`/`imir`/`clap` transformations, as the picture is shown. */
    get_width(): number;
    get_height(): number;
    is_primary(): boolean;
    has_alpha_channel(): boolean;
    /** Decodes to interleaved RGBA into `target.data`; calls back with `target`, or null when decoding failed. */
    display<Target extends { data: Uint8ClampedArray; width: number; height: number }>(target: Target, callback: (result: Target | null) => void): void;
    free(): void;
  }
  interface HeifDecoder {
    /** Parses the file (no pixel is decoded) and lists its top-level images; empty when it is no HEIF. */
    decode(data: Uint8Array): HeifImage[];
    decoder: { delete(): void } | null;
  }
  const libheif: {
    HeifDecoder: new () => HeifDecoder;
    heif_get_version(): string;
  };
  export default libheif;
}
