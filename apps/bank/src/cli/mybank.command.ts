import { UsageError } from '@streamfold/runtime';
import { CliInfrastructure } from '@streamfold/nestjs';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { ConnectClient, connectorName, connectorSettings, debeziumConnectorConfig } from './debezium-connector';

const ACTIONS = ['setup', 'status', 'pause', 'resume', 'delete'];

@SubCommand({
  name: 'connector',
  arguments: '<action>',
  description: `The Debezium connector of the core transactions table, through Kafka Connect's REST API (CONNECT_URL, CORE_DATABASE_URL): ${ACTIONS.join(' | ')}`,
})
export class ConnectorCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action]: string[]): Promise<void> {
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown action "${action}": use ${ACTIONS.join(', ')}`);
    const settings = connectorSettings(this.cli.config.topicPrefix);
    const connect = new ConnectClient(settings.connectUrl);
    const name = connectorName(settings);
    switch (action) {
      case 'setup': {
        // The raw topic first, with the context's partitions, so Connect does not pick its own.
        await this.cli.open({ schema: 'skip', createTopics: true });
        await connect.put(name, debeziumConnectorConfig(settings));
        await connect.waitFor(name, 'RUNNING');
        console.log(`connector ${name} RUNNING on ${settings.connectUrl}: ${new URL(settings.coreDatabaseUrl).host} → ${settings.topicPrefix}corebank.public.transactions`);
        return;
      }
      case 'status': {
        const s = await connect.status(name);
        if (!s) {
          console.log(`connector ${name} is not registered on ${settings.connectUrl}; run: cli mybank connector setup`);
          process.exitCode = 3;
          return;
        }
        console.log(`connector ${name}: ${s.connector.state}; tasks: ${s.tasks.map((t) => `${t.id}=${t.state}`).join(' ') || 'none'}`);
        for (const t of s.tasks) if (t.trace) console.log(`  task ${t.id}: ${t.trace.split('\n')[0]}`);
        return;
      }
      case 'pause':
        await connect.pause(name);
        await connect.waitFor(name, 'PAUSED');
        console.log(`connector ${name} PAUSED`);
        return;
      case 'resume':
        await connect.resume(name);
        await connect.waitFor(name, 'RUNNING');
        console.log(`connector ${name} RUNNING`);
        return;
      case 'delete':
        await connect.delete(name);
        console.log(`connector ${name} deleted (its replication slot stays in the core database until dropped)`);
        return;
    }
  }
}

@Command({ name: 'mybank', description: 'MyBank operations: connector setup|status|pause|resume|delete', subCommands: [ConnectorCommand] })
export class MyBankCommand extends CommandRunner {
  async run(): Promise<void> {
    throw new UsageError('use: mybank connector <setup|status|pause|resume|delete>');
  }
}
