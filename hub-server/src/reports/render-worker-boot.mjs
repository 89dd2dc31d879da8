// Entry of a report render worker. Plain JavaScript, so a worker thread can load it without a
// loader; it registers tsx (as `node --import tsx` does for the hub) and then loads the TypeScript
// worker. Node 20 does not apply a parent's `--import tsx` to worker threads, and tests run the hub
// inside vitest, which has no Node loader at all: this works the same in both.
import { register } from 'tsx/esm/api';

register();
await import('./render-worker.ts');
