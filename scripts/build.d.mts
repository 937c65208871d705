/** Types of scripts/build.mjs, for the TypeScript scripts that import it (scripts/bench.ts). */
export declare const ROOT: string;
export declare const BUILD: string;
export declare function isStale(entry: string): boolean;
export declare function build(entry: string): Promise<string>;
export declare function ensureBuilt(entry?: string): Promise<string>;
