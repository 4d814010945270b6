// One producer connection: up to `slots` requests in flight (1 = sync, like one thread of the
// Java tool), round-robin over the topic's write queues, frames stamped from templates into a
// SlabWriter, responses read with a ResponseScanner. No per-message objects.

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResponseCode } from '../../shared/codes.js';
import { CTRL_STOP, P } from './counters.js';
import { stampFrame, type SendClock } from './frame-stamp.js';
import { ResponseScanner } from './response-scanner.js';
import { OPAQUE_BASE, OPAQUE_SPAN, type SendTemplate } from './send-template.js';
import { SlabWriter } from './slab-writer.js';
import type { UniqKeyGenerator } from './uniq-key.js';

export interface SendConnectionOptions {
  host: string;
  port: number;
  /** one per write queue (buildQueueTemplates), used round-robin */
  templates: SendTemplate[];
  /** the queue id of each template slot */
  queueIds: Int32Array;
  /** first template index (spreads connections over queues) */
  rrStart: number;
  /** requests in flight: 1 for sync mode */
  slots: number;
  /** messages to attempt; Infinity until stopped */
  quota: number;
  clock: SendClock;
  uniq: UniqKeyGenerator;
  counters: Float64Array;
  control: Int32Array;
  timeoutMs: number;
  /** pause of a slot after a failure (the Java tool sleeps after failures too) */
  failurePauseMs: number;
  /** acknowledged UNIQ_KEYs are appended here when not null */
  keys: string[] | null;
  onDone: (c: SendConnection) => void;
}

/** Send results the Java client reports as a SendResult rather than an exception. */
function isStored(code: number): boolean {
  return code === ResponseCode.SUCCESS || code === ResponseCode.FLUSH_DISK_TIMEOUT || code === ResponseCode.FLUSH_SLAVE_TIMEOUT || code === ResponseCode.SLAVE_NOT_AVAILABLE;
}

const READ_BUFFER = 64 * 1024;
const RECONNECT_MS = 1000;
const MAX_CONNECT_FAILURES = 10;

export class SendConnection {
  private socket: Socket | null = null;
  private writer: SlabWriter | null = null;
  private scanner: ResponseScanner;
  private readonly readBuf = Buffer.allocUnsafe(READ_BUFFER);
  private readonly slotBits: number;
  private readonly seqMask: number;
  private readonly opaque: Int32Array;
  private readonly sentAt: Float64Array;
  private readonly busy: Uint8Array;
  private readonly msgs: Int32Array;
  private readonly keyTime: Int32Array;
  private readonly keyCounter: Int32Array;
  private readonly frameMax: number;
  private seq = 0;
  private rr: number;
  private attempted = 0;
  private inFlight = 0;
  private connected = false;
  private connectFailures = 0;
  private done = false;
  error: string | null = null;

  constructor(private readonly o: SendConnectionOptions) {
    if (o.templates.length === 0 || o.templates.length !== o.queueIds.length) throw new Error('no write queue to send to');
    this.slotBits = Math.max(1, Math.ceil(Math.log2(o.slots)));
    this.seqMask = OPAQUE_SPAN / (1 << this.slotBits) - 1;
    this.opaque = new Int32Array(o.slots);
    this.sentAt = new Float64Array(o.slots);
    this.busy = new Uint8Array(o.slots);
    this.msgs = new Int32Array(o.slots);
    this.keyTime = new Int32Array(o.slots);
    this.keyCounter = new Int32Array(o.slots);
    this.rr = o.rrStart % o.templates.length;
    this.frameMax = Math.max(...o.templates.map((t) => t.frame.length));
    this.scanner = new ResponseScanner(this.onResponse);
  }

  start(): void {
    const sock = connect({
      host: this.o.host,
      port: this.o.port,
      noDelay: true,
      onread: { buffer: this.readBuf, callback: this.onRead },
    });
    this.socket = sock;
    this.scanner = new ResponseScanner(this.onResponse); // nothing carried over from a lost connection
    this.writer = new SlabWriter(sock, Math.min(256 * 1024, Math.max(16 * 1024, this.frameMax * Math.min(this.o.slots, 64))));
    sock.once('connect', () => {
      this.connected = true;
      this.connectFailures = 0;
      for (let s = 0; s < this.o.slots; s++) if (!this.send(s)) break;
      this.writer!.flush();
      this.maybeDone();
    });
    sock.on('error', (e) => {
      if (!this.connected) this.error = `connect to ${this.o.host}:${this.o.port} failed: ${e.message}`;
    });
    sock.on('close', () => this.onClose(sock));
  }

  private readonly onRead = (n: number, buf: Uint8Array): boolean => {
    try {
      this.scanner.push(buf, 0, n);
    } catch (e) {
      this.error = `bad frame from the broker: ${(e as Error).message}`;
      this.socket?.destroy();
      return false;
    }
    this.writer?.flush();
    return true;
  };

  private stopped(): boolean {
    return this.o.control[CTRL_STOP] !== 0 || this.attempted >= this.o.quota;
  }

  /** Sends the next request on `slot`; false when the run is over for this connection. */
  private send(slot: number): boolean {
    if (this.done || !this.connected || this.stopped()) return false;
    const o = this.o;
    const q = this.rr;
    this.rr = q + 1 === o.templates.length ? 0 : q + 1;
    const tpl = o.templates[q];
    o.clock.tick();
    this.seq = (this.seq + 1) & this.seqMask;
    const opaque = OPAQUE_BASE + this.seq * (1 << this.slotBits) + slot;
    const counter = o.uniq.take(tpl.messages);
    const w = this.writer!;
    const len = tpl.frame.length;
    const at = w.reserve(len);
    stampFrame(w.buffer, at, tpl, o.queueIds[q], opaque, o.clock, counter);
    w.commit(len);
    this.opaque[slot] = opaque;
    this.busy[slot] = 1;
    this.msgs[slot] = tpl.messages;
    this.keyTime[slot] = o.clock.uniqTime;
    this.keyCounter[slot] = counter;
    this.sentAt[slot] = performance.now();
    this.attempted += tpl.messages;
    this.inFlight++;
    o.counters[P.IN_FLIGHT]++;
    return true;
  }

  private finish(slot: number): number {
    this.busy[slot] = 0;
    this.opaque[slot] = 0;
    this.inFlight--;
    this.o.counters[P.IN_FLIGHT]--;
    return this.msgs[slot];
  }

  private readonly onResponse = (code: number, opaque: number, isResponse: boolean): void => {
    if (!isResponse) return;
    const slot = (opaque - OPAQUE_BASE) & ((1 << this.slotBits) - 1);
    if (slot >= this.o.slots || this.busy[slot] === 0 || this.opaque[slot] !== opaque) return;
    const rt = performance.now() - this.sentAt[slot];
    const n = this.finish(slot);
    const c = this.o.counters;
    if (isStored(code)) {
      c[P.OK_MSGS] += n;
      c[P.OK_REQUESTS]++;
      c[P.RT_TOTAL] += rt;
      if (rt > c[P.RT_MAX]) c[P.RT_MAX] = rt;
      if (this.o.keys) this.recordKeys(slot, n);
      if (!this.send(slot)) this.maybeDone();
    } else {
      c[P.RESPONSE_FAILED] += n;
      this.pause(slot);
    }
  };

  private recordKeys(slot: number, n: number): void {
    for (let i = 0; i < n; i++) this.o.keys!.push(this.o.uniq.key(this.keyTime[slot], this.keyCounter[slot] + i));
  }

  private pause(slot: number): void {
    if (this.stopped()) return this.maybeDone();
    setTimeout(() => {
      if (this.send(slot)) this.writer!.flush();
      else this.maybeDone();
    }, this.o.failurePauseMs);
  }

  /** Fails requests older than the timeout (called by the worker a few times a second). */
  sweep(now: number): void {
    for (let s = 0; s < this.o.slots; s++) {
      if (this.busy[s] === 0 || now - this.sentAt[s] < this.o.timeoutMs) continue;
      this.o.counters[P.SEND_FAILED] += this.finish(s);
      this.pause(s);
    }
  }

  private onClose(sock: Socket): void {
    if (sock !== this.socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    for (let s = 0; s < this.o.slots; s++) if (this.busy[s]) this.o.counters[P.SEND_FAILED] += this.finish(s);
    if (this.done) return;
    if (!wasConnected) this.connectFailures++;
    if (this.stopped() || this.connectFailures >= MAX_CONNECT_FAILURES) {
      if (!this.error && !this.stopped()) this.error = `connection to ${this.o.host}:${this.o.port} lost`;
      return this.markDone();
    }
    setTimeout(() => (this.done ? undefined : this.start()), RECONNECT_MS);
  }

  private maybeDone(): void {
    if (!this.done && this.inFlight === 0 && this.stopped()) this.markDone();
  }

  private markDone(): void {
    if (this.done) return;
    this.done = true;
    this.socket?.end();
    this.o.onDone(this);
  }

  /** Ends the connection now, counting whatever is still in flight as failed. */
  abort(): void {
    for (let s = 0; s < this.o.slots; s++) if (this.busy[s]) this.o.counters[P.SEND_FAILED] += this.finish(s);
    this.markDone();
    this.socket?.destroy();
  }
}
