// Regenerates config/hub.example.yaml and docs/configuration.md's reference tables from the schemas.
// A unit test fails when either has drifted.
import { readFileSync, writeFileSync } from 'node:fs';
import { hubExampleText, withConfigReference } from '../src/config/examples.ts';

writeFileSync('config/hub.example.yaml', hubExampleText());
writeFileSync('docs/configuration.md', withConfigReference(readFileSync('docs/configuration.md', 'utf8')));
