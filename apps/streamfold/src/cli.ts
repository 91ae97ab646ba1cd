import './paths';
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli/cli.module';
import { exitOnStartupError } from './boot';

// Commands open the infrastructure they need themselves (see CliInfrastructure), so `--help`
// and `token` work with nothing running.
CommandFactory.run(CliModule, {
  logger: ['error', 'warn'],
  errorHandler: (error) => exitOnStartupError(error),
  serviceErrorHandler: (error) => exitOnStartupError(error),
}).catch(exitOnStartupError);
