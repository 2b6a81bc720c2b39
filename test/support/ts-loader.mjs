/**
 * A module-customization hook (`module.register`) that lets a worker thread or child process
 * load qbank's TypeScript sources, as vitest does for the tests themselves: a `.js` import that
 * does not exist beside a `.ts` importer resolves to the `.ts` file, which is transpiled (types
 * dropped, nothing checked) with the project's own TypeScript.
 *
 * @example
 * new IsolatedChunker({ loader: new URL('../support/ts-loader.mjs', import.meta.url).href })
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(path, 'utf8'), {
    fileName: path,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
