import type { Logger } from 'pino';
import { RequestCode, ResponseCode } from '../../shared/codes.js';
import { newRequest } from '../../shared/remoting/command.js';
import { bodyCrc } from '../../shared/storage/crc32.js';
import { RemotingClient } from '../net/remoting-client.js';
import type { DataVersion, TopicConfigJson } from './model.js';
import { encodeRegisterBody, parseLenientJson } from './register-body.js';

export type { TopicConfigJson };

export interface BrokerRegistrarOptions {
  namesrvAddrs: string[];
  clusterName: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string;
  haServerAddr: string;
  logger: Logger;
  /** Read at every registration, so it always sends the current topics. */
  topicConfigWrapper: () => { dataVersion: DataVersion; topicConfigTable: Record<string, TopicConfigJson> };
  /** Re-registration period (default 30 s, RocketMQ's registerNameServerPeriod). */
  periodMs?: number;
  /** Per-request timeout (default 6 s, RocketMQ's registerBrokerTimeoutMills). */
  timeoutMs?: number;
  /** Told what each name server answered: a slave learns its master here; orderTopicConf is ORDER_TOPIC_CONFIG. */
  onResult?: (r: { namesrvAddr: string; haServerAddr: string | null; masterAddr: string | null; orderTopicConf: Record<string, string> }) => void;
}

interface AddrState {
  client: RemotingClient | null;
  running: Promise<boolean> | null;
  queued: Promise<boolean> | null;
  lastOk: boolean | null;
}

/** The broker side of name server registration: register to every name server, periodically and on demand. */
export class BrokerRegistrar {
  private readonly opts: BrokerRegistrarOptions;
  private readonly log: Logger;
  private readonly addrs = new Map<string, AddrState>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(opts: BrokerRegistrarOptions) {
    this.opts = opts;
    this.log = opts.logger;
    for (const a of opts.namesrvAddrs) this.addrs.set(a, { client: null, running: null, queued: null, lastOk: null });
  }

  /** First registration to every name server: resolves once one succeeded, or all failed. Then re-registers every periodMs. */
  async start(): Promise<void> {
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => void this.registerNow(), this.opts.periodMs ?? 30_000);
    this.timer.unref();
    const rounds = [...this.addrs.keys()].map((a) => this.schedule(a));
    if (rounds.length === 0) return;
    await new Promise<void>((resolve) => {
      let left = rounds.length;
      for (const r of rounds) {
        void r.then((ok) => {
          if (ok || --left === 0) resolve();
        });
      }
    });
  }

  /** Registers with every name server now (e.g. after a topic changed); resolves when all answered or failed. */
  async registerNow(): Promise<void> {
    if (this.stopped) return;
    await Promise.all([...this.addrs.keys()].map((a) => this.schedule(a)));
  }

  /** Unregisters from every name server and closes the connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.addrs.values()].map((s) => Promise.all([s.running, s.queued])));
    const { brokerAddr, brokerId, brokerName, clusterName } = this.opts;
    await Promise.all(
      [...this.addrs.entries()].map(async ([addr, s]) => {
        if (!s.client || s.client.closed) return;
        try {
          const req = newRequest(RequestCode.UNREGISTER_BROKER, { brokerAddr, brokerId: String(brokerId), brokerName, clusterName });
          const res = await s.client.invoke(req, this.opts.timeoutMs ?? 6000);
          this.log.info({ namesrv: addr, code: res.code, remark: res.remark }, 'unregistered from name server');
        } catch (e) {
          this.log.warn({ namesrv: addr, err: (e as Error).message }, 'unregister from name server failed');
        } finally {
          s.client.close();
          s.client = null;
        }
      }),
    );
  }

  /** Runs one registration to `addr` after the current one; concurrent callers share the queued run. */
  private schedule(addr: string): Promise<boolean> {
    const s = this.addrs.get(addr)!;
    if (!s.running) {
      s.running = this.registerOnce(addr, s).finally(() => {
        s.running = null;
      });
      return s.running;
    }
    if (!s.queued) {
      s.queued = s.running.then(() => {
        s.queued = null;
        return this.schedule(addr);
      });
    }
    return s.queued;
  }

  private async registerOnce(addr: string, s: AddrState): Promise<boolean> {
    if (this.stopped) return false;
    const { brokerAddr, brokerId, brokerName, clusterName, haServerAddr } = this.opts;
    try {
      if (!s.client || s.client.closed) s.client = await RemotingClient.connect(addr);
      const wrapper = this.opts.topicConfigWrapper();
      const body = encodeRegisterBody(wrapper);
      const req = newRequest(
        RequestCode.REGISTER_BROKER,
        { brokerAddr, brokerId: String(brokerId), brokerName, clusterName, haServerAddr, compressed: 'false', bodyCrc32: String(bodyCrc(body, 0, body.length)) },
        body,
      );
      const res = await s.client.invoke(req, this.opts.timeoutMs ?? 6000);
      if (res.code !== ResponseCode.SUCCESS) {
        this.log.warn({ namesrv: addr, code: res.code, remark: res.remark }, 'name server refused the registration');
        s.lastOk = false;
        return false;
      }
      const level = s.lastOk === true ? 'debug' : 'info';
      this.log[level]({ namesrv: addr, brokerName, brokerAddr, topics: Object.keys(wrapper.topicConfigTable).length, dataVersion: wrapper.dataVersion }, 'registered with name server');
      s.lastOk = true;
      this.report(addr, res.extFields ?? {}, res.body);
      return true;
    } catch (e) {
      if (s.lastOk !== false) this.log.warn({ namesrv: addr, err: (e as Error).message }, 'registration with name server failed');
      else this.log.debug({ namesrv: addr, err: (e as Error).message }, 'registration with name server failed again');
      s.lastOk = false;
      return false;
    }
  }

  private report(addr: string, ext: Record<string, string>, body: Buffer | null): void {
    if (!this.opts.onResult) return;
    try {
      let orderTopicConf: Record<string, string> = {};
      if (body && body.length > 0) orderTopicConf = parseLenientJson(body.toString('utf8'))?.table ?? {};
      this.opts.onResult({ namesrvAddr: addr, haServerAddr: ext.haServerAddr || null, masterAddr: ext.masterAddr || null, orderTopicConf });
    } catch (e) {
      this.log.warn({ namesrv: addr, err: (e as Error).message }, 'registration result handler failed');
    }
  }
}
