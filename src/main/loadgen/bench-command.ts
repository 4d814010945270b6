// `ferrymq bench produce|consume`: Ferry's own load generator, reporting like RocketMQ's
// benchmark tools (Producer / Consumer in rocketmq-example).

import { Command, Option } from 'commander';
import { runConsume } from './consume.js';
import { consumeOptions, DEFAULT_DURATION_SEC, OptionError, produceOptions, type RawOptions } from './options.js';
import { runProduce } from './produce.js';

function fail(e: unknown): never {
  process.stderr.write(`ferrymq bench: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(e instanceof OptionError ? 2 : 1);
}

function report(errors: string[]): void {
  for (const e of errors) process.stderr.write(`ferrymq bench: ${e}\n`);
}

export function addBenchCommand(program: Command): void {
  const bench = program.command('bench').description('load generator: RocketMQ benchmark-style produce/consume runs against a name server');

  bench
    .command('produce')
    .description('send messages (SEND_MESSAGE_V2, ROCKETMQ binary header) and print Send TPS / RT every second')
    .option('-n, --namesrv-addr <addr>', 'name server address (default: $NAMESRV_ADDR or 127.0.0.1:9876)')
    .option('-t, --topic <topic>', 'topic; unknown topics are auto-created through TBW102', 'BenchmarkTest')
    .option('-w, --threads <n>', 'connections (one sync sender each, like the Java tool threads)', '64')
    .option('-s, --size <bytes>', 'message body size', '128')
    .option('--workers <n>', 'worker threads the connections are spread over (0 = main thread)', '2')
    .option('--async', 'pipelined sends: up to --inflight requests in flight per connection')
    .option('--inflight <n>', 'requests in flight per connection with --async', '64')
    .option('--batch <k>', 'messages per request (SEND_BATCH_MESSAGE when > 1); counts stay in messages', '1')
    .option('--duration <sec>', `stop after this many seconds (default ${DEFAULT_DURATION_SEC} when no --count)`)
    .option('--count <n>', 'stop after this many messages (split over the connections like -q of the Java tool)')
    .addOption(new Option('--tags [tag]', 'set TAGS on every message (default tag TagA)'))
    .option('--keys', 'set KEYS (current second) on every message, as -k true of the Java tool')
    .option('--json', 'JSON remoting headers instead of the ROCKETMQ binary header')
    .option('--group <group>', 'producer group', 'benchmark_producer')
    .option('--timeout <ms>', 'request timeout', '3000')
    .option('--keys-file <file>', 'write the UNIQ_KEY of every acknowledged message to this file')
    .option('--broker-pid <pid>', 'also print the CPU time per message of this local broker process (Linux /proc)')
    .action(async (raw: RawOptions) => {
      let o;
      try {
        o = produceOptions(raw);
      } catch (e) {
        fail(e);
      }
      try {
        const s = await runProduce(o);
        report(s.errors);
        process.exit(s.okMessages > 0 ? 0 : 1);
      } catch (e) {
        fail(e);
      }
    });

  bench
    .command('consume')
    .description('long-poll every queue of a topic and print Consume TPS / latency every second')
    .option('-n, --namesrv-addr <addr>', 'name server address (default: $NAMESRV_ADDR or 127.0.0.1:9876)')
    .option('-t, --topic <topic>', 'topic', 'BenchmarkTest')
    .option('-g, --group <group>', 'consumer group', 'benchmark_consumer')
    .option('--workers <n>', 'worker threads the queues are spread over (0 = main thread)', '2')
    .option('--duration <sec>', 'stop after this many seconds', String(DEFAULT_DURATION_SEC))
    .option('--from-start', 'start at each queue\'s min offset instead of its max offset')
    .option('--drain', 'stop each queue at its first empty long poll (consume what is there, then exit)')
    .option('--pull-batch <n>', 'maxMsgNums per pull', '32')
    .option('--keys-file <file>', 'write the UNIQ_KEY of every consumed message to this file')
    .option('--broker-pid <pid>', 'also print the CPU time per message of this local broker process (Linux /proc)')
    .action(async (raw: RawOptions) => {
      let o;
      try {
        o = consumeOptions(raw);
      } catch (e) {
        fail(e);
      }
      try {
        const s = await runConsume(o);
        report(s.errors);
        process.exit(0);
      } catch (e) {
        fail(e);
      }
    });
}
