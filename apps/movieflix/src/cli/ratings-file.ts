import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readMaybeGzipped } from '../catalog/catalog';
import { MovieRecord, parseMovies, parseRatings, parseUItem, RatingRecord } from '../domain/movielens';

export interface RatingsInput {
  records: RatingRecord[];
  movies: MovieRecord[];
  /** Where the genres came from, for the report. */
  genresFrom: string;
}

/**
 * Reads a MovieLens ratings file: `ratings.csv` (header) or `u.data` (tab-separated), plain or
 * gzipped. Genres come from `movies.csv` beside a csv, or `u.item` beside u.data; none otherwise.
 */
export function readRatingsFile(path: string): RatingsInput {
  if (!existsSync(path)) throw new Error(`--ratings: no file at ${path}`);
  const text = readMaybeGzipped(path);
  const firstLine = text.slice(0, text.indexOf('\n'));
  const format = firstLine.includes('\t') ? 'u.data' : 'csv';
  const records = parseRatings(text, format);
  const dir = dirname(path);
  const beside = (names: string[]) => names.map((n) => join(dir, n)).find((p) => existsSync(p));
  if (format === 'csv') {
    const movies = beside(['movies.csv', 'movies.csv.gz']);
    return movies ? { records, movies: parseMovies(readMaybeGzipped(movies)), genresFrom: basename(movies) } : { records, movies: [], genresFrom: 'none' };
  }
  const items = beside(['u.item']);
  // u.item is ISO-8859-1 (titles with accents).
  return items ? { records, movies: parseUItem(readFileSync(items).toString('latin1')), genresFrom: 'u.item' } : { records, movies: [], genresFrom: 'none' };
}
