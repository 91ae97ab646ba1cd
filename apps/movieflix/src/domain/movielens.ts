/**
 * Parsers for the MovieLens files (pure: text in, records out). ratings.csv and movies.csv are
 * the "latest" layout (header, RFC 4180 quoting in titles); u.data and u.item the 100k layout.
 */
export interface RatingRecord {
  userId: string;
  itemId: string;
  rating: number;
  /** Epoch ms. */
  at: number;
  /** 0-based line among the records: breaks timestamp ties ("the later line"). */
  line: number;
}

export interface MovieRecord {
  itemId: string;
  title: string;
  genres: string[];
}

export type RatingsFormat = 'csv' | 'u.data';

export function parseRatings(text: string, format: RatingsFormat): RatingRecord[] {
  const out: RatingRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = format === 'csv' ? 1 : 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) continue;
    const f = format === 'csv' ? line.split(',') : line.split('\t');
    if (f.length < 4) throw new Error(`line ${i + 1}: expected 4 fields, got ${f.length}`);
    const seconds = Number(f[3]);
    const rating = Number(f[2]);
    if (!Number.isFinite(seconds) || !Number.isFinite(rating)) throw new Error(`line ${i + 1}: rating and timestamp must be numbers`);
    out.push({ userId: f[0], itemId: f[1], rating, at: seconds * 1000, line: out.length });
  }
  return out;
}

/** movies.csv: movieId,title,genres (pipe-separated; "(no genres listed)" means none). */
export function parseMovies(text: string): MovieRecord[] {
  const out: MovieRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].length === 0) continue;
    const [itemId, title, genres] = splitCsvLine(lines[i]);
    out.push({ itemId, title, genres: !genres || genres === '(no genres listed)' ? [] : genres.split('|') });
  }
  return out;
}

const U_ITEM_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
];

/** u.item: id|title|release|video release|url|19 genre flags (latin1; decode before calling). */
export function parseUItem(text: string): MovieRecord[] {
  const out: MovieRecord[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.length === 0) continue;
    const f = line.split('|');
    const flags = f.slice(5, 5 + U_ITEM_GENRES.length);
    const genres = U_ITEM_GENRES.filter((g, i) => flags[i] === '1' && g !== 'unknown');
    out.push({ itemId: f[0], title: f[1], genres });
  }
  return out;
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') fields.push(field), (field = '');
    else field += ch;
  }
  fields.push(field);
  return fields;
}
