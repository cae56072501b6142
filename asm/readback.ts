// Read-back of parameters for the control side (OP_READ; asm/layout.ts draws the area it fills). A read
// names a module, a request id and an entry; after the block that applied it, the DSP copies the module's
// parameters (base value, target, what the kernel read last) into READOUT, and the worker copies READOUT
// into its slot's read-back area. Reading changes nothing the audio depends on, and the table is cleared at
// each block's start, so it is a pure function of the block and the stamped commands, like the audio.
import { G } from "./globals";
import { inst } from "./arena";
import { prm } from "./module_abi";
import { MAX_MODULES, READ_ENTRIES, READ_PARAMS, READ_VALUES, RV_BASE, RV_NOW, RV_TARGET } from "./layout";

const READ_WORDS = 4; // per pending read: request id, entry, module, parameters filled (−1: no module)
const READS = memory.data(READ_ENTRIES * READ_WORDS * 4, 16);
const READOUT = memory.data(READ_ENTRIES * READ_PARAMS * READ_VALUES * 8, 16);

/** A block starts: no read is pending. */
export function readBlockStart(): void {
  G.readCount = 0;
}

/** OP_READ: after this block, copy module `id`'s parameters for request `request` into entry `entry`. */
export function readRequest(id: i32, request: i32, entry: i32): void {
  if (request <= 0 || entry < 0 || entry >= READ_ENTRIES || G.readCount >= READ_ENTRIES) return;
  const r = READS + <usize> (G.readCount * READ_WORDS * 4);
  store<i32>(r, request);
  store<i32>(r, entry, 4);
  store<i32>(r, id, 8);
  G.readCount++;
}

/** The block has been rendered: fills READOUT for each pending read (row k of the table, k < readCount()). */
export function readBlockEnd(B: i32): void {
  for (let k = 0; k < G.readCount; k++) {
    const r = READS + <usize> (k * READ_WORDS * 4);
    const id = load<i32>(r, 8);
    if (id <= 0 || id >= MAX_MODULES || inst(id).active == 0) {
      store<i32>(r, -1, 12);
      continue;
    }
    const m = inst(id);
    const n = min<i32>(m.nParam, READ_PARAMS);
    const out = READOUT + <usize> (k * READ_PARAMS * READ_VALUES * 8);
    for (let p = 0; p < n; p++) {
      const q = prm(m, p);
      const o = out + <usize> (p * READ_VALUES * 8);
      // A control-rate parameter (no per-sample buffer) never glides: its base is its target, and its value
      // holds the modulated one. An audio-rate one's last sample is what the kernel read at the block's end.
      store<f64>(o + (RV_BASE << 3), q.buf == 0 ? q.target : q.value);
      store<f64>(o + (RV_TARGET << 3), q.target);
      const now = q.buf == 0 ? q.value : q.step == 4 ? <f64> load<f32>(q.buf + (<usize> (B - 1) << 2)) : <f64> q.constant;
      store<f64>(o + (RV_NOW << 3), now);
    }
    store<i32>(r, n, 12);
  }
}

/** Reads pending after the last block (rows of the table). */
export function readCount(): i32 {
  return G.readCount;
}

/** Address of the table: readCount() rows of four i32 (request id, entry, module, parameters or −1). */
export function readsPtr(): usize {
  return READS;
}

/** Address of READOUT: row k's parameters at k · READ_PARAMS · READ_VALUES f64. */
export function readoutPtr(): usize {
  return READOUT;
}
