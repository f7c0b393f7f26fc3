// What the display's thread and the photo preparer's thread say to each other.
import type { Rgba } from './photo.ts';

export type PrepareJob =
  | { id: number; kind: 'sixel'; img: Rgba; maxW: number; maxH: number; colors: number }
  | { id: number; kind: 'scale'; img: Rgba; maxW: number; maxH: number };

export type PrepareReply =
  | { id: number; kind: 'sixel'; seq: string; width: number; height: number }
  | { id: number; kind: 'scaled'; img: Rgba }
  | { id: number; kind: 'error'; error: string }
  /** Sent once, when the worker's modules are loaded: preparations are timed from then. */
  | { id: 0; kind: 'ready' };
