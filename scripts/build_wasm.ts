// Builds asm/ into build/chronus.wasm with the AssemblyScript compiler from npm, unless it is up to date.
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import binaryen from "binaryen";

// The pool's declared limits: one page at least, 4 GiB (65536 pages, wasm32's whole space) at most; a pool
// may be created anywhere inside them (core/sample_pool.ts sizes it from --sample-memory).
const POOL_PAGES_MIN = 1;
const POOL_PAGES_MAX = 65536;

const root = join(dirname(fromFileUrl(import.meta.url)), "..");
const asmDir = join(root, "asm");
const out = join(root, "build", "chronus.wasm");

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) newest = Math.max(newest, newestIn(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, Deno.statSync(path).mtime?.getTime() ?? 0);
    }
  }
  return newest;
}

function newestSource(): number {
  return Math.max(newestIn(asmDir), Deno.statSync(fromFileUrl(import.meta.url)).mtime?.getTime() ?? 0);
}

function builtAt(): number {
  try {
    return Deno.statSync(out).mtime?.getTime() ?? 0;
  } catch {
    return 0; // not built yet
  }
}

// The DSP's module tables and dispatch come from patch/schema.ts and the kernels' hooks (written only when
// they change, so mtimes stay honest).
const { writeGenerated } = await import("./gen_defs.ts");
writeGenerated(new URL("../asm/", import.meta.url));

if (Deno.args.includes("--force") || builtAt() < newestSource()) {
  const { WASM_PAGES } = await import("../asm/layout.ts");
  Deno.mkdirSync(join(root, "build"), { recursive: true });
  const args = [
    join(asmDir, "engine.ts"),
    "--outFile",
    out,
    "--textFile",
    join(root, "build", "chronus.wat"),
    "--optimizeLevel",
    "3",
    "--shrinkLevel",
    "0",
    "--noAssert",
    "--runtime",
    "stub",
    "--importMemory",
    "--noExportMemory",
    "--initialMemory",
    String(WASM_PAGES),
    "--maximumMemory",
    String(WASM_PAGES),
    "--use",
    "abort=",
    "--enable",
    "simd", // WebAssembly SIMD (V8 has shipped it since 9.1): two voices per instruction
  ];
  // The compiler runs in this process (its API, not a `deno run` child): the build task then needs no
  // --allow-run, and the compiler reads and writes only what the task's permission set grants (deno.json).
  const { default: asc } = await import("assemblyscript/asc");
  const { error } = await asc.main(args, {
    stdout: { write: (t: string | Uint8Array) => void Deno.stdout.writeSync(bytes(t)) },
    stderr: { write: (t: string | Uint8Array) => void Deno.stderr.writeSync(bytes(t)) },
  });
  const code = error ? 1 : 0;
  if (code !== 0) {
    console.error(`Cannot build the DSP: the AssemblyScript compiler failed (${error?.message}; see above)`);
    Deno.exit(code);
  }
  addSamplePool(out, join(root, "build", "chronus.wat"));
  console.error(`built ${out}`);
}

/**
 * The post-pass that gives the DSP its sample pool (asm/pool.ts): the imported shared memory "pool" "mem"
 * becomes the module's second memory, and every call to an import of module "pool" becomes the load it stands
 * for from that memory (`(call $poolF32 X)` and `(f32.load $pool X)` have the same shape). The main memory
 * stays memory 0, imported and fixed, so every other instruction is unchanged. With binaryen.js (the
 * optimizer AssemblyScript itself uses): text in, validated binary out.
 */
function addSamplePool(wasmPath: string, watPath: string): void {
  const loads: Record<string, string> = { f32: "f32.load", i32: "i32.load" };
  // The compiler's text output keeps the functions' names (a binary read back would number them).
  let text = Deno.readTextFileSync(watPath);
  const imports = [...text.matchAll(/^\s*\(import "pool" "(\w+)" \(func (\$\S+) .*\)\)\n/gm)];
  if (imports.length === 0) throw new Error('Cannot add the sample pool: asm/ imports nothing from "pool"');
  for (const [line, field, name] of imports) {
    const load = loads[field];
    if (!load) throw new Error(`Cannot add the sample pool: no load for the import "pool" "${field}"`);
    const escaped = name.replace(/[$.*+?^{}()|[\]\\/]/g, "\\$&");
    // Folded `(call $f X)` or stack-form `call $f`: the load takes the same operand and leaves the same value.
    text = text.replace(line, "").replace(
      new RegExp(`(?<=[(\\s])call ${escaped}(?=[\\s)])`, "g"),
      `${load} $pool`,
    );
    if (new RegExp(`${escaped}(?![\\w$])`).test(text)) {
      throw new Error(`Cannot add the sample pool: ${name} is used other than by a call`);
    }
  }
  const memory = /^(\s*)\(import "env" "memory" \(memory \$\S+ .*\)\)\n/m.exec(text);
  if (!memory) throw new Error("Cannot add the sample pool: the main memory's import is missing");
  const at = memory.index + memory[0].length;
  const pool = `${
    memory[1]
  }(import "pool" "mem" (memory $pool ${POOL_PAGES_MIN} ${POOL_PAGES_MAX} shared))\n`;
  text = text.slice(0, at) + pool + text.slice(at);
  const after = binaryen.parseText(text);
  after.setFeatures(binaryen.Features.All);
  if (!after.validate()) {
    throw new Error("Cannot add the sample pool: the rewritten module does not validate");
  }
  Deno.writeFileSync(wasmPath, after.emitBinary());
  Deno.writeTextFileSync(watPath, after.emitText());
  after.dispose();
}

function bytes(t: string | Uint8Array): Uint8Array {
  return typeof t === "string" ? new TextEncoder().encode(t) : t;
}
