import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MovieRecord, parseMovies } from '../domain/movielens';
import { VideoFacts } from '../domain/movieflix.events';

/** The video catalogue: MovieLens movies with their genres, vendored in apps/movieflix/data. */
export class Catalog {
  private readonly byId: Map<string, MovieRecord>;

  constructor(movies: MovieRecord[]) {
    this.byId = new Map(movies.map((m) => [m.itemId, m]));
  }

  has(videoId: string): boolean {
    return this.byId.has(videoId);
  }

  facts(videoId: string): VideoFacts | undefined {
    const m = this.byId.get(videoId);
    return m && { videoId, title: m.title, genres: m.genres };
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  get size(): number {
    return this.byId.size;
  }
}

/**
 * apps/movieflix/data, found from the source tree (ts-jest, ts-node) or the build output
 * (dist/apps/movieflix/src/...): tsc does not copy data files, so the build reads them in place.
 */
export function movieflixDataDir(from: string = __dirname): string {
  let dir = resolve(from);
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'apps', 'movieflix', 'data');
    if (existsSync(join(candidate, 'movies.csv.gz'))) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`apps/movieflix/data/movies.csv.gz not found above ${from}`);
}

/** Reads a vendored (gzipped) or plain text file. */
export function readMaybeGzipped(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

let shared: Catalog | null = null;

/** The vendored catalogue, parsed once per process (about 9,000 movies, a few milliseconds). */
export function vendoredCatalog(): Catalog {
  shared ??= new Catalog(parseMovies(readMaybeGzipped(join(movieflixDataDir(), 'movies.csv.gz'))));
  return shared;
}
