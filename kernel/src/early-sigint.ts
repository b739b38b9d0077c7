/**
 * Node exits on SIGINT unless something listens. Jupyter interrupts with SIGINT, and one that comes
 * while the kernel is still loading (tslab, DuckDB: a second or two) has nothing to stop; imported
 * first by the CLI, this keeps it from killing a starting kernel. The kernel's own handler comes
 * later. Other commands keep Ctrl-C as it is.
 */
if (process.argv[2] === 'start') process.on('SIGINT', () => undefined);
