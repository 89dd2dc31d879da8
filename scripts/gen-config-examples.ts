// Regenerates config/hub.example.yaml and the README's configuration reference from the schemas.
// A unit test fails when either has drifted.
import { readFileSync, writeFileSync } from 'node:fs';
import { hubExampleText, withConfigReference } from '../src/config/examples.ts';

writeFileSync('config/hub.example.yaml', hubExampleText());
writeFileSync('README.md', withConfigReference(readFileSync('README.md', 'utf8')));
