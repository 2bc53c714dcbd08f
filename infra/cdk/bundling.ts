/**
 * How function code is bundled, for both packagings: the zip function (through NodejsFunction)
 * and the ffmpeg functions' container image (through esbuild's API, into the image's build
 * context). One set of esbuild settings, so both load the same way on Lambda.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const dockerDir = fileURLToPath(new URL('../docker/', import.meta.url));

export const ESBUILD_TARGET = 'node24';
/** ESM builds of dependencies first: their CommonJS builds are what needs `require`. */
export const MAIN_FIELDS = ['module', 'main'];
/**
 * An ES module has no `require`, and esbuild turns a bundled CommonJS dependency's
 * `require('path')` into a shim that throws without one (fluent-ffmpeg does this at load).
 */
export const ESM_REQUIRE_BANNER = "import { createRequire as __fanoutCreateRequire } from 'node:module'; const require = __fanoutCreateRequire(import.meta.url);";
/**
 * Nor `__dirname` and `__filename`, which a bundled CommonJS dependency may read at run time
 * (libheif-js's Emscripten loader does, on a HEIC's first decode): the bundle's own, as Node gives them.
 */
export const ESM_DIRNAME_DEFINE = { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' };
/** Native modules ship beside the bundle, installed for Lambda's platform. */
export const NATIVE_MODULES = ['sharp'];
/** What npm installs native modules for: Lambda's Linux on Graviton. */
export const LAMBDA_PLATFORM_NPM_ENV = { npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' };

/** Where the handlers of the image sit inside its build context (copied to the image's task root). */
export const IMAGE_TASK_DIR = 'task';

/**
 * Stages the ffmpeg image's build context into `outputDir`: the Dockerfile, one ESM bundle per
 * handler (`task/<name>.mjs`) and the native modules installed for linux-arm64 from the lock
 * file. The Dockerfile then only copies, so an arm64 image builds on any host, with no emulation.
 */
export function stageImageContext(outputDir: string, functionNames: readonly string[]): void {
  const taskDir = join(outputDir, IMAGE_TASK_DIR);
  mkdirSync(taskDir, { recursive: true });
  buildSync({
    entryPoints: Object.fromEntries(functionNames.map((name) => [name, join(repoRoot, 'functions', name, 'handler.ts')])),
    outdir: taskDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: ESBUILD_TARGET,
    format: 'esm',
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    define: ESM_DIRNAME_DEFINE,
    external: NATIVE_MODULES,
    sourcemap: true,
    logLevel: 'warning',
  });
  installNativeModules(taskDir);
  copyFileSync(join(dockerDir, 'Dockerfile'), join(outputDir, 'Dockerfile'));
}

/** The same steps NodejsFunction takes for `nodeModules`: a package.json naming them, the project's lock file, `npm ci`. */
function installNativeModules(taskDir: string): void {
  const project = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const dependencies = Object.fromEntries(NATIVE_MODULES.map((name) => [name, project.dependencies[name]!]));
  writeFileSync(join(taskDir, 'package.json'), JSON.stringify({ dependencies }));
  copyFileSync(join(repoRoot, 'package-lock.json'), join(taskDir, 'package-lock.json'));
  const npm = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: taskDir,
    env: { ...process.env, ...LAMBDA_PLATFORM_NPM_ENV },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (npm.status !== 0) throw new Error(`npm ci for the ffmpeg image's native modules failed (exit ${npm.status ?? npm.signal})`);
}
