/**
 * A function step's module, checked without running any of it: the file exists, it compiles
 * (esbuild, as the run will compile it), the export is there (from esbuild's metafile), and a
 * TypeScript module type-checks (the TypeScript compiler, with the project's tsconfig.json if it
 * has one). Type-check results are cached by the code they checked.
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../shared/atomic-write.js';
import { builtinModules } from 'node:module';
import path from 'node:path';

export interface ModuleProblem {
  message: string;
  hint?: string;
}

export interface ModuleCheckOptions {
  /** Type-check TypeScript modules (default true). */
  typecheck?: boolean;
  /** Where type-check results are kept between runs (none: not kept). */
  cacheDir?: string;
  /** Told the local files the module is built from (itself and what it imports). */
  onSources?: (files: string[]) => void;
}

function split(baseDir: string, value: string): { file: string; exportName: string } {
  const hash = value.lastIndexOf('#');
  return { file: path.resolve(baseDir, value.slice(0, hash)), exportName: value.slice(hash + 1) };
}

export async function checkFunctionModule(baseDir: string, value: string, options: ModuleCheckOptions = {}): Promise<ModuleProblem[]> {
  const { file, exportName } = split(baseDir, value);
  if (!(await access(file).then(() => true, () => false))) {
    return [{ message: `function module not found: ${file}`, hint: `paths are relative to the config folder ${baseDir}` }];
  }
  const { build } = await import('esbuild');
  let metafile;
  try {
    const result = await build({
      entryPoints: [file], bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20',
      write: false, metafile: true, logLevel: 'silent',
    });
    metafile = result.metafile;
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors?.[0];
    const at = first?.location ? ` (${first.location.file}:${first.location.line}:${first.location.column + 1})` : '';
    return [{ message: `${path.basename(file)} does not compile: ${first?.text ?? (err as Error).message}${at}`, hint: 'fix the module so it compiles' }];
  }
  options.onSources?.(Object.keys(metafile.inputs).map((f) => path.resolve(f)));
  const output = Object.values(metafile.outputs)[0];
  const exported = output?.exports ?? [];
  const problems: ModuleProblem[] = [];
  // Packages the running module will import (type-only imports are gone after compiling) must be
  // installed where Node looks from the module's folder.
  for (const imp of output?.imports ?? []) {
    if (!imp.external || imp.path.startsWith('node:') || builtinModules.includes(imp.path)) continue;
    const pkg = imp.path.startsWith('@') ? imp.path.split('/').slice(0, 2).join('/') : imp.path.split('/')[0];
    if (!(await installed(pkg, path.dirname(file)))) {
      problems.push({ message: `${path.basename(file)} imports '${imp.path}', which is not installed where it can find it`, hint: `npm install ${pkg} in the project (beside ${path.basename(file)})` });
    }
  }
  if (!exported.includes(exportName)) {
    const { closest } = await import('../shared/suggest.js');
    const near = closest(exportName, exported);
    problems.push({
      message: `${path.basename(file)} has no export '${exportName}'`,
      hint: near ? `did you mean '${near}'?` : exported.length ? `its exports: ${exported.join(', ')}` : 'export the function, e.g. `export function addScore(inputs, ctx) { ... }`',
    });
  }
  if (options.typecheck !== false && /\.(c|m)?tsx?$/.test(file)) {
    const sources = Object.keys(metafile.inputs).map((f) => path.resolve(f));
    problems.push(...(await typecheck(file, sources, options.cacheDir)));
  }
  return problems;
}

/** A package folder in node_modules of `dir` or a folder above it, as Node looks for it. */
async function installed(pkg: string, dir: string): Promise<boolean> {
  for (let d = dir; ; d = path.dirname(d)) {
    if (await access(path.join(d, 'node_modules', pkg, 'package.json')).then(() => true, () => false)) return true;
    if (path.dirname(d) === d) return false;
  }
}

/** Diagnostics TypeScript reports in the module's own files (never in packages' types). */
async function typecheck(file: string, sources: string[], cacheDir: string | undefined): Promise<ModuleProblem[]> {
  const ts = (await import('typescript')).default;
  const configFile = ts.findConfigFile(path.dirname(file), ts.sys.fileExists);
  const contents = await Promise.all(sources.map((s) => readFile(s, 'utf8').catch(() => '')));
  const key = createHash('sha256').update(JSON.stringify([ts.version, configFile ?? '', configFile ? await readFile(configFile, 'utf8').catch(() => '') : '', sources, contents])).digest('hex');
  const cached = cacheDir ? path.join(cacheDir, `${key}.json`) : undefined;
  if (cached) {
    const hit = await readFile(cached, 'utf8').then((t) => JSON.parse(t) as ModuleProblem[], () => undefined);
    if (hit) return hit;
  }
  let options: import('typescript').CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    esModuleInterop: true, skipLibCheck: true, noEmit: true, allowImportingTsExtensions: true, resolveJsonModule: true,
  };
  if (configFile) {
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configFile, ts.sys.readFile).config, ts.sys, path.dirname(configFile));
    options = { ...parsed.options, noEmit: true, skipLibCheck: true };
  }
  const program = ts.createProgram({ rootNames: [file], options });
  // Not the module's fault: Node's globals without @types/node, packages without types, and
  // packages not found for types only (a package the module really imports is checked above).
  const IGNORED = new Set([2307, 2580, 2591, 2592, 2593, 7016]);
  const own = (f: string | undefined) => !!f && !f.split(path.sep).includes('node_modules') && sources.includes(path.resolve(f));
  const problems = ts.getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && !IGNORED.has(d.code) && (!d.file || own(d.file.fileName)))
    .slice(0, 10)
    .map((d) => {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const where = d.file && at ? `${path.relative(path.dirname(file), d.file.fileName) || path.basename(file)}:${at.line + 1}:${at.character + 1}: ` : '';
      return { message: `type error in ${where}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`, hint: 'fix the type error (TypeScript, as your editor shows it)' };
    });
  if (cached) {
    await writeFileAtomic(cached, JSON.stringify(problems));
  }
  return problems;
}
