// The photo preparer's thread (photo-preparer.ts starts it): scaling, palette fitting and sixel encoding
// of a decoded photo, away from the event loop that runs the screen, the keys and the sale.
import { parentPort } from 'node:worker_threads';
import { scaleToFit, sixelImage } from './photo-sixel.ts';
import type { PrepareJob, PrepareReply } from './photo-prepare-types.ts';
import { lowerThisThread } from './thread-priority.ts';

function run(job: PrepareJob): PrepareReply {
  if (job.kind === 'sixel') {
    const s = sixelImage(job.img, job.maxW, job.maxH, job.colors);
    return { id: job.id, kind: 'sixel', ...s };
  }
  const px = scaleToFit(job.img, job.maxW, job.maxH);
  const data = px.data.byteOffset === 0 && px.data.byteLength === px.data.buffer.byteLength ? px.data : px.data.slice();
  return { id: job.id, kind: 'scaled', img: { width: px.width, height: px.height, data } };
}

// Started as a worker by the preparer; imported anywhere else, it does nothing.
const port = parentPort;
if (port) lowerThisThread();
port?.on('message', (job: PrepareJob) => {
  let reply: PrepareReply;
  try {
    reply = run(job);
  } catch (e) {
    reply = { id: job.id, kind: 'error', error: String((e as Error)?.message ?? e) };
  }
  port?.postMessage(reply, reply.kind === 'scaled' ? [reply.img.data.buffer as ArrayBuffer] : []);
});
port?.postMessage({ id: 0, kind: 'ready' } satisfies PrepareReply);
