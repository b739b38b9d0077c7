#!/usr/bin/env node
// The `odibi` command. A file in the repository (not in dist/), so `npm ci` links it in a fresh
// clone before anything is built.
import "../dist/cli/main.js";
