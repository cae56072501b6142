// The generated docs are what the generator makes of the code now: docs/osc.md from the address table
// (osc/routes/), docs/modules.md from patch/schema.ts, and README.md's address summary between its markers.
// When this fails, run `deno task docs` and commit what it wrote.
import assert from "node:assert/strict";
import { modulesDoc, oscDoc, OUTPUTS, README_BEGIN, withReadmeSummary } from "../scripts/gen_docs.ts";
import { ROUTES } from "../osc/routes/table.ts";
import { translate } from "../cli/language.ts";

const read = (path: string) => Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));
const STALE = "is stale: run `deno task docs` and commit the result";

Deno.test("docs/osc.md and docs/modules.md are what `deno task docs` generates now", () => {
  assert.ok(read(OUTPUTS.osc) === oscDoc(), `${OUTPUTS.osc} ${STALE}`);
  assert.ok(read(OUTPUTS.modules) === modulesDoc(), `${OUTPUTS.modules} ${STALE}`);
});

Deno.test("README.md's generated address summary is current (when the README has its markers)", () => {
  const readme = read(OUTPUTS.readme);
  const regenerated = withReadmeSummary(readme);
  if (regenerated === null) {
    assert.ok(!readme.includes(README_BEGIN), "README.md has the begin marker but no end marker after it");
    return;
  }
  assert.ok(readme === regenerated, `README.md's osc-summary region ${STALE}`);
});

Deno.test("every text-language example in the address table sends its address", () => {
  const fits = (pattern: string, address: string) =>
    new RegExp(`^${pattern.replace(/<[^>]+>$/, ".+").replace(/<[^>]+>/g, "[^/]+")}$`).test(address);
  for (const r of ROUTES.filter((r) => r.text)) {
    for (const example of r.text!.examples) {
      const { messages, expect } = translate(example);
      // `sync` sends nothing itself: the client sends /sync and waits for /synced.
      if (r.address === "/sync") assert.equal(expect, "sync", example);
      else assert.ok(fits(r.address, messages[0][0]), `${example} → ${messages[0]?.[0]}, not ${r.address}`);
    }
  }
});
