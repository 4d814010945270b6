import { Command } from 'commander';
import { ConfigError, loadConfig } from './config-loader.js';
import { createLogger } from './logger.js';
import { startBroker, type RunningBroker } from './broker.js';
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
    // The broker takes sends before every thread is up (broker.ts), so a stop signal may come
    // during start-up: it is held until the start finishes, then the broker stops cleanly.
    let broker: RunningBroker | null = null;
    let stopSignal: string | null = null;
    const stopNow = (running: RunningBroker, signal: string) => {
      log.info({ signal }, 'shutting down');
      running.stop().then(
        () => process.exit(0),
        (e) => {
          log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    const onSignal = (signal: string) => {
      if (stopSignal) return;
      stopSignal = signal;
      if (broker) stopNow(broker, signal);
      else log.info({ signal }, 'stop requested during start-up: stopping once started');
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    try {
      broker = await startBroker(config, log);
    } catch (e) {
      log.fatal({ err: e }, 'broker failed to start');
      process.stderr.write(`ferrymq: broker failed to start: ${(e as Error).message}\n`);
      process.exit(1);
    }
    if (stopSignal) stopNow(broker, stopSignal);
  });

addBenchCommand(program);

void program.parseAsync(process.argv);
