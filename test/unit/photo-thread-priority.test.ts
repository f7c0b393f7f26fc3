// The photo threads yield the CPU to the event loop: the decoder's and the preparer's threads run
// at nice 10, the main thread stays at 0 (Linux keeps nice per thread; read from /proc).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { portraitJpeg } from '../../sim/photos.ts';
import { PhotoDecoder } from '../../firmware/ui/photo/photo-cache.ts';
import { PhotoPreparer } from '../../firmware/ui/photo/photo-preparer.ts';
import { lowerThisThread, PHOTO_THREAD_NICE } from '../../firmware/ui/photo/thread-priority.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

/** Each thread of this process: its id and nice value (/proc/self/task/<tid>/stat, field 19). */
const threads = (): { tid: number; nice: number }[] =>
  readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid: Number(tid), nice: Number(fields[16]) }];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
const lowered = () => threads().filter((t) => t.nice === PHOTO_THREAD_NICE).length;

test('the decoder and the preparer run below the event loop; the event loop keeps its priority', async (t) => {
  const timers = new ManualTimers();
  t.is(lowered(), 0, 'no thread lowered before');
  const decoder = new PhotoDecoder({ timers });
  const preparer = new PhotoPreparer({ timers });
  t.teardown(async () => {
    await decoder.close();
    await preparer.close();
  });
  const img = await decoder.decode(portraitJpeg('nice', { width: 240, height: 320 }));
  t.is(lowered(), 1, 'the decoder thread');
  await preparer.sixel(img, 120, 160, 64);
  t.is(lowered(), 2, 'and the preparer thread');
  t.is(threads().find((x) => x.tid === process.pid)?.nice, 0, 'the main thread (tid = pid) unchanged');
});

test('a system that refuses the priority is no fault', (t) => {
  t.false(
    lowerThisThread(() => {
      throw new Error('EACCES');
    }),
  );
  const seen: [number, number][] = [];
  t.true(lowerThisThread((pid, nice) => void seen.push([pid, nice])));
  t.deepEqual(seen, [[0, PHOTO_THREAD_NICE]], 'the calling thread (0), never a pid');
});
