// Report lines on stdout, plus (on a TTY only) a progress line that is redrawn in place.

export class LiveLine {
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** A permanent line (report, summary). */
  print(line: string): void {
    this.clear();
    this.out.write(line + '\n');
  }

  /** Redraws the progress line; ignored when stdout is not a terminal. */
  progress(text: string): void {
    if (!this.tty) return;
    this.out.write('\r\x1b[2K' + text);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
