// Writes config/hub.example.yaml from the schema defaults (a unit test checks the file for drift).
import { writeFileSync } from 'node:fs';
import { hubExampleText } from '../src/config/examples.ts';

writeFileSync('config/hub.example.yaml', hubExampleText());
