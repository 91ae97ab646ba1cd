import { buildSchema, parse } from 'graphql';
import { limitError } from './graphql-limits';

const schema = buildSchema(`
  type Node { id: ID!, children(limit: Int): [Node!]! }
  type Query { node: Node, nodes(limit: Int): [Node!]! }
`);
const check = (query: string, variables = {}) => limitError({ schema, document: parse(query), variables }, { maxDepth: 3, maxComplexity: 50 });

describe('GraphQL operation limits', () => {
  it('lets an operation at the depth limit through and refuses one level more', () => {
    expect(check('{ node { children { id } } }')).toBeNull();
    expect(check('{ node { children { children { id } } } }')?.extensions).toEqual({ code: 'query_too_deep' });
  });

  it('counts depth through fragments and inline fragments', () => {
    const query = 'query { node { ...deeper } } fragment deeper on Node { children { ... on Node { children { id } } } }';
    expect(check(query)?.extensions).toEqual({ code: 'query_too_deep' });
  });

  it('refuses an operation above the complexity limit, aliases included', () => {
    const fields = Array.from({ length: 51 }, (_, i) => `a${i}: node { id }`).join(' ');
    expect(check(`{ ${fields} }`)?.extensions).toEqual({ code: 'query_too_complex' });
    expect(check('{ a: node { id } b: node { id } }')).toBeNull();
  });
});
