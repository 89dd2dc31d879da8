import { createRequire } from 'node:module';
import { fromRoot } from '../../src/paths.ts';

const require = createRequire(import.meta.url);

/** The project version from package.json, reported in the retained site state. */
export const AGENT_VERSION: string = (require(fromRoot('package.json')) as { version: string }).version;
