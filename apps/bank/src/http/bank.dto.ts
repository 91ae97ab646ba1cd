import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** A threshold amount as a decimal string: money never travels as a JSON number (a float). */
export class ThresholdBody {
  @ApiProperty({ example: '1000.00', description: 'decimal string in the currency\'s unit; positive' })
  @IsString()
  @MaxLength(40)
  amount: string;
}

export class EnableThresholdBody extends ThresholdBody {
  @ApiProperty({ example: 'USD' })
  @IsString()
  @MaxLength(8)
  currency: string;
}

export class AlertsQuery {
  @ApiProperty({ required: false, default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ThresholdResponse {
  @ApiProperty() currency: string;
  @ApiProperty({ example: '1000.00' }) amount: string;
}

export class AlertResponse {
  @ApiProperty() alertId: string;
  @ApiProperty() transactionId: string;
  @ApiProperty({ example: '1500.00' }) amount: string;
  @ApiProperty() currency: string;
  @ApiProperty({ example: '1000.00' }) threshold: string;
  @ApiProperty() transactionAt: string;
  @ApiProperty() detectedAt: string;
}
