// analysis/plot.ts: the PNG decodes at the size asked for, and each panel shows what the signal is.
import assert from "node:assert/strict";
import { decode } from "fast-png";
import { frequencyRow, LOUDNESS_COLOUR, type PanelRect, plotLayout, plotPng } from "../analysis/plot.ts";

const SR = 48000;

function sine(seconds: number, hz: number, amp: (t: number) => number): Float32Array {
  const n = Math.round(seconds * SR), x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) x[2 * i] = x[2 * i + 1] = amp(i / SR) * Math.sin((2 * Math.PI * hz * i) / SR);
  return x;
}

function pixels(png: Uint8Array) {
  const d = decode(png);
  const at = (x: number, y: number) => {
    const i = (y * d.width + x) * d.channels;
    return [d.data[i], d.data[i + 1], d.data[i + 2]];
  };
  return { d, at };
}

Deno.test("plotPng: a PNG of the requested size, quickly for 30 s of stereo", () => {
  const x = sine(30, 440, () => 0.5);
  const t0 = performance.now();
  const png = plotPng(x, { sampleRate: SR, title: "sine", width: 1200, height: 800 });
  const ms = performance.now() - t0;
  const { d } = pixels(png);
  assert.equal(d.width, 1200);
  assert.equal(d.height, 800);
  assert.ok(ms < 2000, `30 s plotted in ${ms.toFixed(0)} ms`);
  const small = pixels(plotPng(sine(0.5, 440, () => 0.5), { sampleRate: SR, width: 300, height: 200 })).d;
  assert.deepEqual([small.width, small.height], [300, 200]);
});

Deno.test("plotPng: a 1 kHz sine's spectrogram is brightest in the row for 1 kHz", () => {
  const png = plotPng(sine(2, 1000, () => 0.5), { sampleRate: SR, width: 600, height: 500 });
  const { at } = pixels(png);
  const p = plotLayout(600, 500).spectrogram;
  const want = frequencyRow(1000, p, SR);
  for (const c of [Math.floor(p.w / 3), Math.floor(p.w / 2), Math.floor((2 * p.w) / 3)]) {
    let best = -1, bright = -1;
    for (let r = 0; r < p.h; r++) {
      const [R, G, B] = at(p.x + c, p.y + r);
      if (R + G + B > bright) [bright, best] = [R + G + B, r];
    }
    assert.ok(Math.abs(best - want) <= 1, `column ${c}: brightest row ${best}, 1 kHz is row ${want}`);
    const [R, G, B] = at(p.x + c, p.y + frequencyRow(100, p, SR));
    assert.ok(R + G + B < bright / 3, "100 Hz is dark");
  }
});

// The rows of a panel's column that are not the panel's background or a grid dot.
function inked(at: (x: number, y: number) => number[], p: PanelRect, c: number, colour?: readonly number[]) {
  const rows: number[] = [];
  for (let r = 0; r < p.h; r++) {
    const px = at(p.x + c, p.y + r);
    if (colour ? px.every((v, i) => v === colour[i]) : px[0] > 100 || px[2] > 100) rows.push(r);
  }
  return rows;
}

Deno.test("plotPng: silence draws a flat waveform; a sine fills its amplitude", () => {
  const p = plotLayout(400, 300).waveform;
  const quiet = pixels(plotPng(new Float32Array(2 * SR), { sampleRate: SR, width: 400, height: 300 }));
  const loud = pixels(plotPng(sine(1, 1000, () => 0.9), { sampleRate: SR, width: 400, height: 300 }));
  for (const c of [0, 100, 200, p.w - 1]) {
    const flat = inked(quiet.at, p, c);
    assert.equal(flat.length, 2, `column ${c}: one row for L, one for R: ${flat}`);
    assert.ok(inked(loud.at, p, c).length > p.h * 0.7, `column ${c} of the sine is filled`);
  }
});

Deno.test("plotPng: the loudness strip of −20 dB then −40 dB steps down", () => {
  const x = sine(4, 1000, (t) => (t < 2 ? 0.1 : 0.01));
  const { at } = pixels(plotPng(x, { sampleRate: SR, width: 500, height: 400 }));
  const p = plotLayout(500, 400).loudness;
  const rowAt = (t: number) => {
    const rows = inked(at, p, Math.floor((t / 4) * p.w), LOUDNESS_COLOUR);
    assert.ok(rows.length > 0, `the line is drawn at ${t} s`);
    return rows[0];
  };
  const first = rowAt(1.5), second = rowAt(3.5);
  // −20 dB and −40 dB sines: 20 LU apart, a third of the strip's 60 LU.
  assert.ok(second - first > p.h * 0.25 && second - first < p.h * 0.42, `${first} → ${second} of ${p.h}`);
  assert.equal(
    inked(at, p, Math.floor((0.2 / 4) * p.w), LOUDNESS_COLOUR).length,
    0,
    "no value before 400 ms",
  );
});

Deno.test("deno task render --plot writes a decodable PNG of the render; a path outside render's grant is refused", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  const score = `${dir}/score.txt`;
  await Deno.writeTextFile(score, "0.0 note voice1 A3 0.8 0.5\n");
  const run = (plot: string) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "-P=render",
        "cli/render.ts",
        "--score",
        score,
        "--out",
        `${dir}/a.wav`,
        "--plot",
        plot,
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run(`${dir}/a.png`);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  const d = decode(await Deno.readFile(`${dir}/a.png`));
  assert.deepEqual([d.width, d.height], [1200, 800]);
  const refused = await run(`${root}cli/planted.png`);
  assert.equal(refused.code, 2);
  assert.match(new TextDecoder().decode(refused.stderr), /cannot write the plot .*not permitted/);
  await assert.rejects(() => Deno.stat(`${root}cli/planted.png`));
  await Deno.remove(dir, { recursive: true });
});
