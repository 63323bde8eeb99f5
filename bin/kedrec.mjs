#!/usr/bin/env node
// Entry shim: registers tsx so the TypeScript sources run directly after `npm install`
// (no separate build step), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
await main(process.argv);
