#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step between `npm install` and use.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../firmware/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
