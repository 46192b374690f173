#!/usr/bin/env node
// The `netsim` executable (package.json "bin"): runs the command line and sets the exit status.

import { main } from './cli.js';
import { processIo } from './io.js';

process.exitCode = await main(process.argv.slice(2), processIo());
