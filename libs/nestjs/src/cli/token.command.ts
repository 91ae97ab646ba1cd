import { signToken } from '@streamfold/auth';
import { Command, CommandRunner, Option } from 'nest-commander';
import { UsageError } from '@streamfold/runtime';
import { CliInfrastructure } from './cli-infrastructure';

@Command({
  name: 'token',
  arguments: '<userId>',
  description: 'Print a bearer token (HS256, JWT_SECRET) for a user id, for development and the simulators',
})
export class TokenCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([userId]: string[], options: { admin?: boolean; hours?: number }): Promise<void> {
    try {
      console.log(signToken(this.cli.config.jwtSecret, userId, { roles: options.admin ? ['admin'] : [], expiresInSeconds: (options.hours ?? 12) * 3600 }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }

  @Option({ flags: '--admin', description: 'include the admin role (replay, dead letters)' })
  parseAdmin(): boolean {
    return true;
  }

  @Option({ flags: '--hours <n>', description: 'validity in hours (default 12)' })
  parseHours(value: string): number {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 24 * 365) throw new UsageError('--hours must be a positive number of hours');
    return n;
  }
}
