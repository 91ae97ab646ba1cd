import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsISO8601, IsInt, IsLatitude, IsLongitude, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';

export class PointDto {
  @ApiProperty({ example: 48.8566 }) @IsNumber() @IsLatitude() lat: number;
  @ApiProperty({ example: 2.3522 }) @IsNumber() @IsLongitude() lng: number;
}

export class FixDto extends PointDto {
  @ApiProperty({ example: '2026-03-02T08:00:00.000Z', description: 'device time of the fix: the event time' })
  @IsISO8601({ strict: true })
  at: string;

  @ApiProperty({ required: false, default: true, description: 'drivers only: accepting rides' })
  @IsOptional()
  @IsBoolean()
  available?: boolean;
}

export class PositionsBody {
  @ApiProperty({ type: [FixDto], maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => FixDto)
  positions: FixDto[];
}

export class RideRequestBody {
  @ApiProperty({ type: PointDto }) @ValidateNested() @Type(() => PointDto) pickup: PointDto;
  @ApiProperty({ type: PointDto }) @ValidateNested() @Type(() => PointDto) dropoff: PointDto;
}

export class PointQuery {
  @ApiProperty() @Type(() => Number) @IsNumber() @IsLatitude() lat: number;
  @ApiProperty() @Type(() => Number) @IsNumber() @IsLongitude() lng: number;
}

export class RidesQuery {
  @ApiProperty({ required: false, default: 20, minimum: 1, maximum: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit?: number;
}

export class PositionsAcceptedResponse {
  @ApiProperty() accepted: number;
  @ApiProperty() total: number;
}
