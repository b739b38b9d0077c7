#!/usr/bin/env node
// The `odibi-kernel` command (see core/bin/odibi.js for why it is not in dist/).
import "../dist/cli.js";
