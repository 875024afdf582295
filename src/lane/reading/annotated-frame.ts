import sharp from 'sharp';
import type { Frame } from '../../camera/types.js';
import type { Clock } from '../../core/clock.js';
import type { Box } from '../../core/image.js';
import type { LastPlate } from './lane-reader.js';

/** What the renderer needs of a lane: LaneReader gives both. */
export interface LaneFrames {
  latestFrame(): { frame: Frame; at: number } | null;
  lastPlate(): LastPlate | null;
}

export type LaneFramesLookup = (laneId: string) => LaneFrames | undefined;

export interface AnnotatedFrameOptions {
  /** Widest picture sent, in pixels. Default 960. */
  maxWidth?: number;
  /** JPEG quality. Default 75. */
  quality?: number;
  /** A picture is reused for this long, so many viewers cost one encode. Default 500 ms. */
  cacheMs?: number;
  /** The plate's box is drawn only on frames at most this much newer than its read. Default 2 s. */
  boxMaxAgeMs?: number;
}

interface Cached {
  frame: Frame;
  plate: LastPlate | null;
  renderedAt: number;
  jpeg: Promise<Buffer>;
}

/** DejaVu for Latin and Vietnamese, WenQuanYi Micro Hei for Chinese (both installed on the gate computer). */
const FONT_FAMILY = "'DejaVu Sans', 'WenQuanYi Micro Hei', sans-serif";
const BOX_COLOUR = '#00e676';

/**
 * The lane's newest frame as a JPEG with the last plate's box and text drawn on it: an SVG
 * overlay composited by sharp on the downscaled frame. Cached per lane briefly. It fits
 * src/web's AnnotatedFrames structurally, so the lane does not depend on the web.
 */
export class AnnotatedFrameRenderer {
  private readonly cache = new Map<string, Cached>();
  private readonly opts: Required<AnnotatedFrameOptions>;

  constructor(
    private readonly lanes: LaneFramesLookup,
    private readonly clock: Clock,
    options: AnnotatedFrameOptions = {},
  ) {
    this.opts = {
      maxWidth: options.maxWidth ?? 960,
      quality: options.quality ?? 75,
      cacheMs: options.cacheMs ?? 500,
      boxMaxAgeMs: options.boxMaxAgeMs ?? 2_000,
    };
  }

  async latestJpeg(laneId: string): Promise<Buffer | null> {
    const lane = this.lanes(laneId);
    const latest = lane?.latestFrame();
    if (!lane || !latest) return null;
    const plate = lane.lastPlate();
    const now = this.clock.monotonic();
    const cached = this.cache.get(laneId);
    const unchanged = cached && cached.frame === latest.frame && cached.plate === plate;
    if (cached && (unchanged || now - cached.renderedAt < this.opts.cacheMs)) return cached.jpeg;
    const entry: Cached = { frame: latest.frame, plate, renderedAt: now, jpeg: this.render(latest, plate) };
    this.cache.set(laneId, entry);
    // A failed encode is not cached: the next request tries again.
    entry.jpeg.catch(() => this.cache.get(laneId) === entry && this.cache.delete(laneId));
    return entry.jpeg;
  }

  /**
   * The lane's newest frame rendered now, past the cache, with `plate` drawn: a decision's
   * evidence must show that decision's plate on the frame of that moment, not a viewer's
   * picture from up to cacheMs before. The frame is taken before this returns its promise.
   */
  renderLatest(laneId: string, plate: LastPlate): Promise<Buffer | null> {
    const latest = this.lanes(laneId)?.latestFrame();
    return latest ? this.render(latest, plate) : Promise.resolve(null);
  }

  private async render(latest: { frame: Frame; at: number }, plate: LastPlate | null): Promise<Buffer> {
    const { frame } = latest;
    const width = Math.min(frame.width, this.opts.maxWidth);
    const height = Math.max(1, Math.round((width * frame.height) / frame.width));
    let image = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
    if (width !== frame.width) image = image.resize(width, height, { fit: 'fill' });
    if (plate) {
      // The box belongs to the frame it was read in; on a much later frame the vehicle has moved.
      const box = latest.at - plate.at <= this.opts.boxMaxAgeMs ? scaleBox(plate.box, width / frame.width) : null;
      // sharp composites after resizing, so the overlay is drawn at the output size.
      image = image.composite([{ input: Buffer.from(overlaySvg(width, height, box, plate.display)), top: 0, left: 0 }]);
    }
    return image.jpeg({ quality: this.opts.quality }).toBuffer();
  }
}

function scaleBox(box: Box, scale: number): Box {
  return { x: box.x * scale, y: box.y * scale, w: box.w * scale, h: box.h * scale };
}

/** The plate's box with its text on a label above it; without a box, the text in the top-left corner. */
export function overlaySvg(width: number, height: number, box: Box | null, text: string): string {
  const fontSize = Math.max(12, Math.round(width / 40));
  const stroke = Math.max(2, Math.round(width / 320));
  const pad = Math.round(fontSize / 4);
  // Rough text width: CJK glyphs are square, Latin ones about 0.7 em in DejaVu Sans Bold.
  const textWidth =
    [...text].reduce((sum, ch) => sum + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 1 : 0.7), 0) * fontSize;
  const labelW = Math.min(width, Math.ceil(textWidth + 2 * pad));
  const labelH = fontSize + 2 * pad;
  const labelX = box ? clamp(box.x, 0, width - labelW) : 0;
  // Above the box if it fits, else just inside it.
  const labelY = box ? (box.y - labelH >= 0 ? box.y - labelH : clamp(box.y, 0, height - labelH)) : 0;
  const rect = box
    ? `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.w)}" height="${n(box.h)}" fill="none" stroke="${BOX_COLOUR}" stroke-width="${stroke}"/>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    rect +
    `<rect x="${n(labelX)}" y="${n(labelY)}" width="${labelW}" height="${labelH}" fill="#000" fill-opacity="0.65"/>` +
    `<text x="${n(labelX + pad)}" y="${n(labelY + pad + fontSize * 0.85)}" font-family="${FONT_FAMILY}" font-size="${fontSize}" ` +
    `font-weight="bold" fill="${BOX_COLOUR}">${escapeXml(text)}</text>` +
    `</svg>`
  );
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}

function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}
