// The folders are layers: each imports only from the layers below it, so a newcomer can read the code from
// the bottom up and change a layer without reading the ones above. This test reads every import of every
// source file (the same text `deno` resolves) and fails on one that runs upward or closes a circle.
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Layers from the bottom; a file may import from its own layer and any layer below. */
const LAYERS: string[][] = [
  ["asm/layout.ts", "ffi"],
  ["core"],
  ["analysis", "patch"],
  ["sequencer", "sinks"],
  ["workers"],
  ["engine"],
  ["osc"],
  ["cli"],
  ["mcp"],
  ["main.ts"],
];

function layerOf(path: string): number {
  return LAYERS.findIndex((l) => l.some((p) => path === p || path.startsWith(p + "/")));
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(join(ROOT, dir))) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...sources(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = Deno.readTextFileSync(join(ROOT, file));
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^"';]*?from\s+"(\.{1,2}\/[^"]+)"/g)) {
    found.push(relative(ROOT, resolve(ROOT, dirname(file), m[1])));
  }
  // Workers are started by URL, not imported: those count as uses too.
  for (const m of text.matchAll(/new URL\("(\.{1,2}\/[^"]+\.ts)", import\.meta\.url\)/g)) {
    found.push(relative(ROOT, resolve(ROOT, dirname(file), m[1])));
  }
  return found;
}

const FILES = [
  "main.ts",
  ...["ffi", "core", "analysis", "patch", "sequencer", "sinks", "workers", "engine", "osc", "cli", "mcp"]
    .flatMap(sources),
];

Deno.test("every import runs down the layers (asm/layout, ffi → core → analysis, patch → sequencer, sinks → workers → engine → osc → cli → mcp → main)", () => {
  const upward: string[] = [];
  for (const file of FILES) {
    const from = layerOf(file);
    assert.ok(from >= 0, `${file} is in no layer`);
    for (const target of imports(file)) {
      if (target.startsWith("asm/") && target !== "asm/layout.ts") continue; // the build's generated tables
      const to = layerOf(target);
      if (to > from) upward.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(upward, [], `imports that run upward:\n  ${upward.join("\n  ")}`);
});

Deno.test("no import circle between source files", () => {
  const graph = new Map(FILES.map((f) => [f, imports(f).filter((t) => FILES.includes(t))]));
  const state = new Map<string, "open" | "done">();
  const circles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      circles.push([...path.slice(path.indexOf(f)), f].join(" → "));
      return;
    }
    state.set(f, "open");
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, "done");
  };
  for (const f of FILES) visit(f, []);
  assert.deepEqual(circles, []);
});
