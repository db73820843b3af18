// Types of install/ensure.mjs for the TypeScript that imports it (test/global-setup.ts; the
// benchmarks and scripts, plain JavaScript, see these too). The module's JSDoc has the details.

/** The repository's root folder. */
export declare const root: string;
/** .cache/ under the root. */
export declare const cacheDir: string;
/** The Node 24 release the suite also runs on. */
export declare const NODE24_VERSION: string;
/** Debian's Chromium, which the browser tests drive. */
export declare const CHROMIUM: string;
/** `npm ci` when node_modules is missing or stale. */
export declare function ensureNodeModules(): void;
/** Path of a Node 24 binary, installed under .cache/ from npm when missing. */
export declare function ensureNode24(): string;
/** The project's venv with `packages` installed; returns its python. */
export declare function ensureVenv(packages: readonly string[]): string;
/** Fences a venv off from this package's module type (its own package.json). */
export declare function fenceVenv(venv: string): void;
/** The environment that makes Jupyter look in `prefix` first. */
export declare function jupyterPrefixEnv(prefix: string): Record<string, string>;
/** Installs Debian's Chromium with apt-get when it is missing. */
export declare function ensureChromium(): void;
/** Builds dist/ afresh from src/. */
export declare function build(): void;
/** `node --version` of a Node binary. */
export declare function nodeVersion(bin: string): string;
