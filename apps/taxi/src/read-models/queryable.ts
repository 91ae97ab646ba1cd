/** What a read-model query needs: the Database (reader views) or a projection's transaction. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}
