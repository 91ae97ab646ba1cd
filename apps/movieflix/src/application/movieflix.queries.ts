import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '@streamfold/runtime';
import { normalisedAffinity } from '../domain/genre-affinity';
import { NothingYet } from '../domain/movieflix.errors';
import { RecommendedVideo } from '../domain/movieflix.events';
import { completionRate } from '../domain/profile';
import { ITEMS_TABLE } from '../processors/co-watch.tables';
import { fromRow, PROFILE_QUERY, ProfileRow } from '../read-models/profile.projection';
import { RECOMMENDATIONS_QUERY } from '../read-models/recommendations.projection';
import { CONTINUE_WATCHING_QUERY, RESUME_QUERY, RESUMES_QUERY } from '../read-models/resume.projection';

export interface ResumeView {
  videoId: string;
  positionSec: number;
  durationSec: number;
  device: string;
  occurredAt: string;
}
export interface ProfileView {
  userId: string;
  watchTimeSec: number;
  finished: number;
  abandoned: number;
  completionRate: number | null;
  genreAffinity: Array<{ genre: string; share: number }>;
  devices: Array<{ device: string; lastSeen: string }>;
  lastActive: string | null;
}
export interface RecommendationsView {
  userId: string;
  items: RecommendedVideo[];
  updatedAt: string | null;
  /** 'model' once the recommender has ranked for the user; 'popular' before (cold start). */
  source: 'model' | 'popular';
}

export class GetResume {
  constructor(readonly userId: string, readonly videoId: string) {}
}
export class GetContinueWatching {
  constructor(readonly userId: string, readonly limit = 20) {}
}
export class GetProfile {
  constructor(readonly userId: string) {}
}
export class GetRecommendations {
  constructor(readonly userId: string) {}
}
/** Resume points of many videos of one user in one read (GraphQL batches a list's children into it). */
export class GetResumes {
  constructor(readonly userId: string, readonly videoIds: readonly string[]) {}
}

interface ResumeRow {
  video_id: string;
  position_sec: number;
  duration_sec: number;
  device: string;
  occurred_at: Date;
}

const resumeView = (r: ResumeRow): ResumeView => ({
  videoId: r.video_id,
  positionSec: r.position_sec,
  durationSec: r.duration_sec,
  device: r.device,
  occurredAt: new Date(r.occurred_at).toISOString(),
});

@QueryHandler(GetResume)
export class GetResumeHandler implements IQueryHandler<GetResume, ResumeView> {
  constructor(private readonly db: Database) {}
  async execute({ userId, videoId }: GetResume): Promise<ResumeView> {
    const { rows } = await this.db.query<ResumeRow>(RESUME_QUERY, [userId, videoId]);
    if (rows.length === 0) throw NothingYet.resumeOf(videoId);
    return resumeView(rows[0]);
  }
}

/** The resume points found, by video id; a video never played has none. */
@QueryHandler(GetResumes)
export class GetResumesHandler implements IQueryHandler<GetResumes, Map<string, ResumeView>> {
  constructor(private readonly db: Database) {}
  async execute({ userId, videoIds }: GetResumes): Promise<Map<string, ResumeView>> {
    const { rows } = await this.db.query<ResumeRow>(RESUMES_QUERY, [userId, [...videoIds]]);
    return new Map(rows.map((r) => [r.video_id, resumeView(r)]));
  }
}

@QueryHandler(GetContinueWatching)
export class GetContinueWatchingHandler implements IQueryHandler<GetContinueWatching, ResumeView[]> {
  constructor(private readonly db: Database) {}
  async execute({ userId, limit }: GetContinueWatching): Promise<ResumeView[]> {
    return (await this.db.query<ResumeRow>(CONTINUE_WATCHING_QUERY, [userId, limit])).rows.map(resumeView);
  }
}

@QueryHandler(GetProfile)
export class GetProfileHandler implements IQueryHandler<GetProfile, ProfileView> {
  constructor(private readonly db: Database) {}
  async execute({ userId }: GetProfile): Promise<ProfileView> {
    const { rows } = await this.db.query<ProfileRow>(PROFILE_QUERY, [userId]);
    const p = rows[0] ? fromRow(rows[0]) : null;
    return {
      userId,
      watchTimeSec: p?.watchSec ?? 0,
      finished: p?.finished ?? 0,
      abandoned: p?.abandoned ?? 0,
      completionRate: p ? completionRate(p) : null,
      genreAffinity: p ? normalisedAffinity(p.affinity) : [],
      devices: Object.entries(p?.devices ?? {})
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([device, at]) => ({ device, lastSeen: new Date(at).toISOString() })),
      lastActive: p && p.lastActive > 0 ? new Date(p.lastActive).toISOString() : null,
    };
  }
}

@QueryHandler(GetRecommendations)
export class GetRecommendationsHandler implements IQueryHandler<GetRecommendations, RecommendationsView> {
  constructor(private readonly db: Database) {}
  async execute({ userId }: GetRecommendations): Promise<RecommendationsView> {
    const { rows } = await this.db.query(RECOMMENDATIONS_QUERY, [userId]);
    if (rows[0]) return { userId, items: rows[0].items, updatedAt: new Date(rows[0].updated_at).toISOString(), source: 'model' };
    // Cold start: nothing watched yet, so the most watched overall.
    const popular = await this.db.query(`SELECT item_id, title FROM ${ITEMS_TABLE} ORDER BY users DESC, item_id LIMIT 10`);
    const items = popular.rows.map((r) => ({ videoId: r.item_id, title: r.title, score: 0, reason: { kind: 'popular' as const } }));
    return { userId, items, updatedAt: null, source: 'popular' };
  }
}
