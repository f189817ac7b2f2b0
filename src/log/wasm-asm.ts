// Just enough of a WebAssembly assembler to write wasm-format.ts's few functions readably:
// each helper returns the bytes of one instruction, nested arrays are flattened. No toolchain.

export type Code = (number | Code)[];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const flat = (code: Code): number[] => code.flat(Infinity as 1) as number[];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...Buffer.from(s)].map((b) => [b]));

export const I32 = 0x7f;
export const V128 = 0x7b;

// Structured control: a br's depth counts the enclosing block/loop/if, innermost 0.
export const block = (...body: Code): Code => [0x02, 0x40, body, 0x0b];
export const loop = (...body: Code): Code => [0x03, 0x40, body, 0x0b];
/** if (condition) { body }: the condition's code pushes one i32. */
export const when = (condition: Code, ...body: Code): Code => [condition, 0x04, 0x40, body, 0x0b];
export const ifElse = (condition: Code, then: Code, otherwise: Code): Code => [condition, 0x04, 0x40, then, 0x05, otherwise, 0x0b];
export const br = (depth: number): Code => [0x0c, depth];
export const brIf = (depth: number): Code => [0x0d, depth];
export const ret: Code = [0x0f];
export const call = (fn: number): Code => [0x10, ...uleb(fn)];
export const select: Code = [0x1b];

export const get = (local: number): Code => [0x20, local];
export const set = (local: number): Code => [0x21, local];
export const tee = (local: number): Code => [0x22, local];
export const i32 = (n: number): Code => [0x41, ...sleb(n | 0)];

export const load = (offset = 0): Code => [0x28, 2, ...uleb(offset)];
export const load8 = (offset = 0): Code => [0x2d, 0, ...uleb(offset)];
export const store = (offset = 0): Code => [0x36, 2, ...uleb(offset)];
export const store8 = (offset = 0): Code => [0x3a, 0, ...uleb(offset)];
export const memoryCopy: Code = [0xfc, 10, 0, 0];

export const eqz: Code = [0x45];
export const eq: Code = [0x46];
export const ne: Code = [0x47];
export const ltU: Code = [0x49];
export const gtU: Code = [0x4b];
export const leU: Code = [0x4d];
export const geU: Code = [0x4f];
export const ctz: Code = [0x68];
export const add: Code = [0x6a];
export const sub: Code = [0x6b];
export const mul: Code = [0x6c];
export const and: Code = [0x71];
export const shl: Code = [0x74];
export const shrU: Code = [0x76];

export const v128Load: Code = [0xfd, 0x00, 0, 0];
export const v128Store: Code = [0xfd, 0x0b, 0, 0];
export const i8x16Splat: Code = [0xfd, 0x0f];
export const i8x16Eq: Code = [0xfd, 0x23];
export const i8x16LtS: Code = [0xfd, 0x25];
export const v128Or: Code = [0xfd, 0x50];
export const i8x16Bitmask: Code = [0xfd, 0x64];

export interface Func {
  readonly name: string;
  readonly params: number;
  /** Types of the locals after the (i32) params. */
  readonly locals: number[];
  readonly body: Code;
}

/** A module of i32 -> i32 functions over one exported memory of `pages` 64 KiB pages, fixed size. */
export function assemble(pages: number, funcs: readonly Func[]): Uint8Array {
  const section = (id: number, contents: number[]): number[] => [id, ...uleb(contents.length), ...contents];
  const signatures = [...new Set(funcs.map((f) => f.params))];
  const types = signatures.map((n) => [0x60, ...vec(Array.from({ length: n }, () => [I32])), 1, I32]);
  const bodies = funcs.map((f) => {
    const code = [...vec(f.locals.map((type) => [1, type])), ...flat(f.body), 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((f) => uleb(signatures.indexOf(f.params))))),
    ...section(5, vec([[0x01, ...uleb(pages), ...uleb(pages)]])),
    ...section(7, vec([[...name('memory'), 0x02, 0], ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])])),
    ...section(10, vec(bodies)),
  ]);
}
