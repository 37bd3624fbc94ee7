import { ConfigError, loadConfig } from './config.js';
import { startService } from './service.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const service = await startService(config);
  service.app.log.info({ url: service.url, embedded: !config.DATABASE_URL }, 'affiliate-ops is serving');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      service.app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    service.app.log.info({ signal }, 'shutting down');
    try {
      await service.stop();
      process.exit(0);
    } catch (error) {
      console.error('shutdown failed', error);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('affiliate-ops failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
