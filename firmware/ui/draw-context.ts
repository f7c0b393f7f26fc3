// What a screen renderer gets besides the model: the time, and photos without waiting.
import type { Canvas, Rect } from './draw/canvas.ts';
import type { Lang } from './labels.ts';
import type { PhotoState } from './photo/photo-cache.ts';
import type { Rgba } from './photo/photo.ts';
import type { ScreenModel } from '../../contract/index.ts';

export interface DrawContext {
  /** Used until the first model arrives (a model carries its own `view.lang`). */
  lang: Lang;
  now: Date;
  /** The club's time zone (config `timeZone`) for the times shown; the system's when left out. */
  timeZone?: string;
  photo(sha: string): PhotoState;
  /** Extra rows at the bottom (the simulator's panel), drawn last so a popup can cover the body. */
  overlay?: Overlay;
  /** How the photo is drawn; half blocks in cells when left out. */
  photoMode?: PhotoMode;
}

/**
 * cells: half blocks in 256 colours; pixels: the box is left blank and `place` told where the photo
 * goes (a cell being `cell` pixels); none: fewer than 256 colours and no pixel path, so the
 * screen says the photo cannot be shown rather than drawing a blob.
 */
export type PhotoMode =
  | { kind: 'cells' }
  | { kind: 'pixels'; cell: { w: number; h: number }; place(rect: Rect, img: Rgba): void }
  | { kind: 'none' };

export interface Overlay {
  readonly rows: number;
  draw(c: Canvas, area: Rect, body: Rect, lang: Lang): void;
}

export type ScreenRenderer = (c: Canvas, body: Rect, m: ScreenModel, ctx: DrawContext) => void;
