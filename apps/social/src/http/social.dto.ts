import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** Text of a post or comment. Exact limits (in characters) are domain rules, checked by the deciders. */
export class TextBody {
  @ApiProperty({ example: 'Launch day!', maxLength: 2000 })
  @IsString()
  @MaxLength(20000)
  text: string;
}

export class LimitQuery {
  @ApiProperty({ required: false, default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class PostIdResponse {
  @ApiProperty() postId: string;
}

export class CommentIdResponse {
  @ApiProperty() commentId: string;
}

export class PostResponse {
  @ApiProperty() postId: string;
  @ApiProperty() authorId: string;
  @ApiProperty() text: string;
  @ApiProperty() likes: number;
  @ApiProperty() comments: number;
  @ApiProperty() createdAt: string;
}

export class PostCountsResponse {
  @ApiProperty() postId: string;
  @ApiProperty() likes: number;
  @ApiProperty() comments: number;
  @ApiProperty({ required: false, description: 'trending only: likes + 2 × comments in the past hour of event time' })
  score?: number;
}
