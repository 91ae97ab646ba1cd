import { ArgsType, Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { IdempotentArgs, perItem } from '@streamfold/nestjs';
import { IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

/** A post with its counts (the `social_posts` read model). */
@ObjectType('Post')
export class PostType {
  @Field() postId: string;
  @Field() authorId: string;
  @Field() text: string;
  @Field(() => Int) likes: number;
  @Field(() => Int) comments: number;
  @Field() createdAt: string;
}

/** Counts of one post (feed, trending, live); `post` is loaded in one batch per request. */
@ObjectType('PostCounts')
export class PostCountsType {
  @Field() postId: string;
  @Field(() => Int) likes: number;
  @Field(() => Int) comments: number;
  @Field(() => Int, { nullable: true, description: 'trending only: likes + 2 × comments in the past hour of event time' })
  score?: number;
}

@ObjectType('CreatedPost')
export class CreatedPostType {
  @Field() postId: string;
}

@ObjectType('AddedComment')
export class AddedCommentType {
  @Field() commentId: string;
}

/** A notification for the subscribing user (e.g. someone commented on their post). */
@ObjectType('Notification')
export class NotificationType {
  @Field() userId: string;
  @Field() message: string;
  @Field() at: string;
}

/** `limit` of feed and trending: the same bounds as REST's `?limit=`. */
@ArgsType()
export class LimitArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

/** A new post. Exact text limits are domain rules, checked by the decider (field `text`). */
@ArgsType()
export class CreatePostArgs extends IdempotentArgs {
  @Field()
  @IsString()
  @MaxLength(20000)
  text: string;
}

/** A comment on a post; the same rules as a post's text. */
@ArgsType()
export class AddCommentArgs extends CreatePostArgs {
  @Field(() => ID)
  @IsUUID('4', { message: 'postId must be a UUID' })
  postId: string;
}

/** List queries cost their children once per item they may return. */
export const listComplexity = perItem(100);
