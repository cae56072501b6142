// mixer: eight mono inputs, each with level and equal-power pan (−1 left … 1 right), onto L and R.
import { at, connected, Inst, inp, outp, prm } from "../module_abi";
import { MIXER_LEVEL1, MIXER_MASTER, MIXER_PAN1 } from "../gen/defs";

export function mixerProcess(m: Inst, from: i32, to: i32): void {
  const L = outp(m, 0), R = outp(m, 1), master = prm(m, MIXER_MASTER);
  for (let i = from; i < to; i++) {
    store<f32>(L + (<usize> i << 2), 0);
    store<f32>(R + (<usize> i << 2), 0);
  }
  for (let j = 0; j < 8; j++) {
    if (!connected(m, j)) continue;
    const x = inp(m, j), level = prm(m, MIXER_LEVEL1 + j), pan = prm(m, MIXER_PAN1 + j);
    // Equal power: angle (pan + 1)·π/4; centre = −3 dB in each channel. Trigonometry per sample only while
    // the pan moves.
    let th = (<f64> at(pan, from) + 1.0) * (Math.PI / 4.0);
    let gl = <f32> Math.cos(th), gr = <f32> Math.sin(th);
    const moving = pan.step != 0;
    for (let i = from; i < to; i++) {
      const a = <usize> i << 2;
      if (moving) {
        th = (<f64> at(pan, i) + 1.0) * (Math.PI / 4.0);
        gl = <f32> Math.cos(th);
        gr = <f32> Math.sin(th);
      }
      const v = load<f32>(x + a) * at(level, i);
      store<f32>(L + a, load<f32>(L + a) + v * gl);
      store<f32>(R + a, load<f32>(R + a) + v * gr);
    }
  }
  for (let i = from; i < to; i++) {
    const a = <usize> i << 2, g = at(master, i);
    store<f32>(L + a, load<f32>(L + a) * g);
    store<f32>(R + a, load<f32>(R + a) * g);
  }
}
