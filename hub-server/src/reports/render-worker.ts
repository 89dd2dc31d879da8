import { parentPort } from 'node:worker_threads';
import { RENDERERS, type RenderReply, type RenderRequest } from './render-jobs.ts';

// A render worker: builds one report at a time on its own thread, so the hub's event loop keeps
// answering health checks, API calls and live pushes while a PDF is drawn.

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs only as a worker thread of the hub');

port.on('message', (request: RenderRequest) => {
  void build(request).then((reply) =>
    port.postMessage(reply, reply.ok ? [reply.body.buffer as ArrayBuffer] : []),
  );
});

async function build({ id, kind, input }: RenderRequest): Promise<RenderReply> {
  try {
    const render = RENDERERS[kind] as (input: unknown) => Buffer | Promise<Buffer>;
    const bytes = await render(input);
    // A copy with an ArrayBuffer of its own: small Buffers share Node's pool, which cannot be transferred.
    return { id, ok: true, body: new Uint8Array(bytes) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    return { id, ok: false, name: e.name, code: typeof code === 'string' ? code : null, message: e.message };
  }
}
