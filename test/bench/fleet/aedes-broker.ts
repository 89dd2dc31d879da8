// A bare aedes broker in a process of its own: the embedded pair's broker for the bare-subscriber
// baseline (in the hub, aedes shares its process with ingest, which the baseline must not measure).
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(port, '127.0.0.1', () => process.send?.({ type: 'listening', port }));
process.on('disconnect', () => process.exit(0));
