import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Runs a command's main(), printing only the message of a failure (no stack for expected errors). */
export function run(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

/**
 * True when the module at `moduleUrl` is the script node was started with (not imported by another):
 * compared as real paths, so that spaces, symlinks (macOS /tmp) and relative paths do not matter.
 */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}
