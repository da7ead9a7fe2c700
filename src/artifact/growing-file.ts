/**
 * A file while it downloads: its writer reports each write that reached the
 * disk, and a reader may take what is there so far and wait for the rest.
 */
export class GrowingFile {
  readonly path: string;
  private length = 0;
  private complete = false;
  private failure: Error | null = null;
  private waiting: (() => void)[] = [];

  constructor(path: string) {
    this.path = path;
  }

  grew(length: number): void {
    this.length = length;
    this.wake();
  }

  /** The writing is over: the file is whole, or, with an error, will never be. */
  end(error?: Error): void {
    this.complete = true;
    this.failure = error ?? null;
    this.wake();
  }

  /**
   * How far the file reaches once it holds more than `offset` bytes, or, if
   * it never will, its final length; rejects when the writing failed.
   */
  async reach(offset: number): Promise<number> {
    while (this.length <= offset && !this.complete) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.failure) throw this.failure;
    return this.length;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
