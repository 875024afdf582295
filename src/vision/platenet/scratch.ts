/**
 * Float buffers kept between inference runs, by length. A buffer is taken for one run and
 * given back after it, so lanes sharing an engine never write into an input still being read.
 */
export class ScratchPool {
  private readonly free = new Map<number, Float32Array[]>();

  take(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(length);
  }

  give(buffer: Float32Array): void {
    const list = this.free.get(buffer.length) ?? [];
    // A few per size cover every lane; more would only hold memory.
    if (list.length < 4) list.push(buffer);
    this.free.set(buffer.length, list);
  }
}
