import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Query string of GET /ops/logs; parseLogFilters checks the values (the same rules as `cli ops logs`). */
export class LogsQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() @MaxLength(64) service?: string;
  @ApiProperty({ required: false, description: 'a level or a comma-separated list: trace, debug, info, warn, error, fatal' })
  @IsOptional() @IsString() @MaxLength(64) level?: string;
  @ApiProperty({ required: false, description: 'ISO time or epoch ms, inclusive' }) @IsOptional() @IsString() @MaxLength(40) since?: string;
  @ApiProperty({ required: false, description: 'ISO time or epoch ms, exclusive' }) @IsOptional() @IsString() @MaxLength(40) until?: string;
  @ApiProperty({ required: false, description: 'words the message must contain' }) @IsOptional() @IsString() @MaxLength(200) q?: string;
  @ApiProperty({ required: false, default: 100, maximum: 1000 }) @IsOptional() @IsString() @MaxLength(5) limit?: string;
}
