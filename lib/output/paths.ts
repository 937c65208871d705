/** Paths as messages and generated files show them: forward slashes on every platform. */
import { relative, sep } from 'node:path';

/** `path` with `/` separators. */
export const posixPath = (path: string): string => path.split(sep).join('/');

/** `path` relative to the working folder, as a message names it (`.` for the folder itself). */
export const displayPath = (path: string): string => posixPath(relative(process.cwd(), path)) || '.';
