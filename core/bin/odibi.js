#!/usr/bin/env node
// The `odibi` command. A file in the repository (not in dist/), so `npm ci` links it in a fresh
// clone before anything is built. It runs the bundle `npm run build` makes (scripts/bundle-cli.mjs).
import "../dist/cli-bundle/main.js";
