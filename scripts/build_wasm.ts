// Builds asm/ into build/chronus.wasm with the AssemblyScript compiler from npm, unless it is up to date.
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

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
  console.error(`built ${out}`);
}

function bytes(t: string | Uint8Array): Uint8Array {
  return typeof t === "string" ? new TextEncoder().encode(t) : t;
}
