// What a screen renderer gets besides the model: the time, and photos without waiting.
import type { Canvas, Rect } from './canvas.ts';
import type { Lang } from './labels.ts';
import type { PhotoState } from './photo-cache.ts';
import type { ScreenModel } from '../../contract/index.ts';

export interface DrawContext {
  /** Used until the first model arrives (a model carries its own `view.lang`). */
  lang: Lang;
  now: Date;
  photo(sha: string): PhotoState;
  /** Extra rows at the bottom (the simulator's panel), drawn last so a popup can cover the body. */
  overlay?: Overlay;
}

export interface Overlay {
  readonly rows: number;
  draw(c: Canvas, area: Rect, body: Rect, lang: Lang): void;
}

export type ScreenRenderer = (c: Canvas, body: Rect, m: ScreenModel, ctx: DrawContext) => void;
