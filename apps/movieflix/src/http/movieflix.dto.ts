import { ApiProperty } from '@nestjs/swagger';
import { Allow, IsNumber, IsString, Matches, Max, Min } from 'class-validator';

const DEVICE = /^[\w.:-]{1,64}$/;

export class StartPlaybackBody {
  @ApiProperty({ example: 'tv-livingroom' })
  @IsString()
  @Matches(DEVICE, { message: 'device must be 1 to 64 letters, digits, ".", ":", "_" or "-"' })
  device: string;

  @ApiProperty({ example: 0, description: 'where playback starts, in seconds' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  positionSec: number;

  @ApiProperty({ example: 5400 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(86_400)
  durationSec: number;
}

export class StopPlaybackBody {
  @ApiProperty({ example: 5100, description: 'where playback stopped; ≥ 90 % of the duration counts as finished' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  positionSec: number;
}

export class RateVideoBody {
  @ApiProperty({ example: 4.5, minimum: 0.5, maximum: 5 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  rating: number;
}

export class HeartbeatDto {
  @ApiProperty({ example: '1' }) videoId: string;
  @ApiProperty({ example: 1234.5 }) positionSec: number;
  @ApiProperty({ example: 5400 }) durationSec: number;
  @ApiProperty({ example: 'phone' }) device: string;
  @ApiProperty({ example: '2026-12-01T12:00:00.000Z' }) occurredAt: string;
}

/** Validated field by field by the domain (validateHeartbeats), which names `heartbeats[i].field` in a 400. */
export class HeartbeatsBody {
  @ApiProperty({ type: [HeartbeatDto], maxItems: 500 })
  @Allow() // kept by the whitelist; the domain validates it
  heartbeats: unknown;
}
