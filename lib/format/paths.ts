/** Paths as messages and generated files show them: forward slashes on every platform. */
import type { Stats } from 'node:fs';
import { relative, sep } from 'node:path';

/** `path` with `/` separators. */
export const posixPath = (path: string): string => path.split(sep).join('/');

/** `path` relative to the working folder, as a message names it (`.` for the folder itself). */
export const displayPath = (path: string): string => posixPath(relative(process.cwd(), path)) || '.';

/** What a path that is not a regular file is, as a message says it ("is a folder"). */
export const fileKind = (stat: Stats): string =>
  stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a named pipe' : stat.isSocket() ? 'a socket'
    : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'not a regular file';
