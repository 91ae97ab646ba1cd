import { splitLeaveOneOut } from './evaluation/leave-one-out';
import { parseMovies, parseRatings, parseUItem } from './movielens';

describe('MovieLens files', () => {
  it('reads ratings.csv (header) and u.data (tabs, no header) alike, in seconds → ms, keeping line order', () => {
    const csv = parseRatings('userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n', 'csv');
    const data = parseRatings('196\t242\t3\t881250949\n186\t302\t3\t891717742', 'u.data');
    expect(csv).toEqual([
      { userId: '1', itemId: '31', rating: 2.5, at: 1260759144000, line: 0 },
      { userId: '1', itemId: '1029', rating: 3, at: 1260759179000, line: 1 },
    ]);
    expect(data.map((r) => [r.userId, r.itemId, r.at, r.line])).toEqual([['196', '242', 881250949000, 0], ['186', '302', 891717742000, 1]]);
    expect(() => parseRatings('1\t2\t3', 'u.data')).toThrow(/line 1: expected 4 fields/);
  });

  it('reads movies.csv with quoted titles and no-genre rows', () => {
    const movies = parseMovies('movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n11,"American President, The (1995)",Comedy|Drama|Romance\n3,"Say ""Hi"" (2000)",(no genres listed)\n');
    expect(movies).toEqual([
      { itemId: '1', title: 'Toy Story (1995)', genres: ['Adventure', 'Animation'] },
      { itemId: '11', title: 'American President, The (1995)', genres: ['Comedy', 'Drama', 'Romance'] },
      { itemId: '3', title: 'Say "Hi" (2000)', genres: [] },
    ]);
  });

  it('reads u.item genre flags', () => {
    const line = '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0';
    expect(parseUItem(line)).toEqual([{ itemId: '1', title: 'Toy Story (1995)', genres: ['Animation', 'Children', 'Comedy'] }]);
  });
});

describe('leave-one-out split', () => {
  it('holds out the latest interaction per user (ties: the later line) and replays the rest in time order', () => {
    const records = parseRatings('u,i,r,t\n1,a,5,30\n1,b,4,10\n2,c,3,20\n1,c,2,30\n2,a,1,5\n', 'csv');
    const { heldOut, train, interacted } = splitLeaveOneOut(records);
    expect([...heldOut].map(([u, r]) => [u, r.itemId])).toEqual([['1', 'c'], ['2', 'c']]);
    expect(train.map((r) => `${r.userId}${r.itemId}`)).toEqual(['2a', '1b', '1a']);
    expect([...interacted.get('1')!]).toEqual(['a', 'b', 'c']);
  });
});
