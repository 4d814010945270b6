import { Command } from 'commander';
import { ConfigError, loadConfig } from './config-loader.js';
import { createLogger } from './logger.js';
import { startBroker } from './broker.js';
import { addBenchCommand } from './loadgen/bench-command.js';

const program = new Command();
program.name('ferrymq').description('Ferry: a RocketMQ-compatible message broker').version('0.1.0');

program
  .command('start')
  .description('start the broker (and the embedded name server), like mqbroker')
  .option('-c, --config <file>', 'broker.conf with RocketMQ keys')
  .argument('[overrides...]', 'key=value settings applied after the file')
  .action(async (overrides: string[], opts: { config?: string }) => {
    let config;
    try {
      config = loadConfig(opts.config, overrides);
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`ferrymq: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    const log = createLogger('main', config.logLevel);
    let broker;
    try {
      broker = await startBroker(config, log);
    } catch (e) {
      log.fatal({ err: e }, 'broker failed to start');
      process.stderr.write(`ferrymq: broker failed to start: ${(e as Error).message}\n`);
      process.exit(1);
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      broker.stop().then(
        () => process.exit(0),
        (e) => {
          log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

addBenchCommand(program);

await program.parseAsync(process.argv);
