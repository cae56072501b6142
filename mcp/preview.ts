// The preview tool's work: a score rendered offline, away from the live engine, and its listening report.
// It runs `deno task render`'s program (cli/render.ts) as a child with the render permission set, in a
// private temporary directory that holds the patch, the score, the WAV and the score's data directory, and
// removes the directory afterwards. The contract with cli/render.ts: `--analyze --json` prints the Analysis
// (analysis/analyze.ts) as JSON on stdout.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project directory: where deno.json (the render permission set) and cli/render.ts are. */
export const PROJECT_DIR: string = fileURLToPath(new URL("..", import.meta.url));

/** The longest a render may take before it is stopped, ms. */
export const PREVIEW_TIMEOUT_MS = 120_000;

/** The most a render's error text says (its stderr, trimmed to this many characters). */
const ERROR_CHARS = 2000;

/** What to render. */
export interface PreviewRequest {
  /** Lines "SECONDS COMMAND" of the text language (cli/score.ts). */
  score: string;
  /** A patch file's JSON (default: patches/default.json, as `deno task render` has it). */
  patch?: Record<string, unknown>;
  /** How long to render, s (default: the render's, 2 s after the last event). */
  seconds?: number;
}

/** What the render gave: the report, or the render's own words for why not. */
export type PreviewResult = { ok: true; analysis: unknown } | { ok: false; error: string };

/** Renders `r` offline with cli/render.ts --analyze --json and returns the report it printed. */
export async function preview(r: PreviewRequest, timeoutMs = PREVIEW_TIMEOUT_MS): Promise<PreviewResult> {
  const dir = await Deno.makeTempDir({ prefix: "chronus-mcp-preview-" });
  try {
    const score = join(dir, "score.txt"), out = join(dir, "out.wav");
    await Deno.writeTextFile(score, r.score);
    const args = ["run", "-q", "-P=render", "cli/render.ts", "--score", score, "--out", out];
    if (r.patch !== undefined) {
      const patch = join(dir, "patch.json");
      await Deno.writeTextFile(patch, JSON.stringify(r.patch));
      args.push("--patch", patch);
    }
    if (r.seconds !== undefined) args.push("--seconds", String(r.seconds));
    // A score's own file names (save, pattern save …) land here too, not in the project's data directory.
    args.push("--data-dir", join(dir, "data"), "--analyze", "--json");
    let o: Deno.CommandOutput;
    try {
      o = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: PROJECT_DIR,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(timeoutMs),
      }).output();
    } catch (e) {
      if ((e as Error).name === "TimeoutError" || (e as Error).name === "AbortError") {
        return { ok: false, error: `the render took longer than ${timeoutMs / 1000} s and was stopped` };
      }
      throw e;
    }
    if (o.signal !== null) {
      return { ok: false, error: `the render took longer than ${timeoutMs / 1000} s and was stopped` };
    }
    const stdout = new TextDecoder().decode(o.stdout).trim();
    const stderr = new TextDecoder().decode(o.stderr).trim().slice(0, ERROR_CHARS);
    if (o.code !== 0) return { ok: false, error: stderr || `the render exited with code ${o.code}` };
    // The report is the whole of stdout, or its last line when the render said something before it.
    for (const text of [stdout, stdout.slice(stdout.lastIndexOf("\n") + 1)]) {
      try {
        return { ok: true, analysis: JSON.parse(text) };
      } catch {
        continue;
      }
    }
    return {
      ok: false,
      error: `the render printed no JSON report (stdout began: ${JSON.stringify(stdout.slice(0, 200))})`,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
