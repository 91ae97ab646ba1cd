/** A reason the process cannot start, printed as one line (no stack) before exiting with 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** A command-line mistake (unknown action, bad option), printed as one line. */
export class UsageError extends StartupError {
  override name = 'UsageError';
}
