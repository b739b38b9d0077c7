/**
 * LearnODIBI. Lessons (../lessons) and notebooks (../notebooks) are content read at build time;
 * code runs only on the odibi kernel, through the Jupyter server the site's scripts start.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

/** @type {import('next').NextConfig} */
export default {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-side only: mdx-bundler runs esbuild; the kernel gateway talks to Jupyter over ws.
  serverExternalPackages: ['mdx-bundler', 'esbuild', '@jupyterlab/services', 'ws', 'vega', 'vega-lite'],
  outputFileTracingRoot: path.join(root, '..'),
  turbopack: { root: path.join(root, '..') },
};
