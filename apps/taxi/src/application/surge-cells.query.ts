import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '@streamfold/runtime';
import { cellToBoundary } from 'h3-js';

/** A surge region with the multiplier in force now and its hexagon, for a map without tiles. */
export interface SurgeCellView {
  region: string;
  surge: number;
  /** Since when (event time) this multiplier is in force. */
  since: string;
  /** The hexagon's corners as [lat, lng] pairs (h3 cellToBoundary), ready to draw. */
  boundary: Array<[number, number]>;
}

/** The regions whose multiplier changed most recently, at most `limit`. */
export class GetSurgeCells {
  constructor(readonly limit: number, readonly atMs: number = Date.now()) {}
}

/** Reads the surge history's latest row per region (the temporal table's "now"), newest change first. */
@QueryHandler(GetSurgeCells)
export class GetSurgeCellsHandler implements IQueryHandler<GetSurgeCells, SurgeCellView[]> {
  constructor(private readonly db: Database) {}

  async execute({ limit, atMs }: GetSurgeCells): Promise<SurgeCellView[]> {
    const { rows } = await this.db.query(
      `SELECT region, surge_tenths, valid_from FROM (
         SELECT DISTINCT ON (region) region, surge_tenths, valid_from FROM taxi_surge
         WHERE valid_from <= to_timestamp($1 / 1000.0) ORDER BY region, valid_from DESC
       ) latest ORDER BY valid_from DESC, region LIMIT $2`,
      [atMs, limit],
    );
    return rows.map((r) => ({ region: r.region, surge: r.surge_tenths / 10, since: new Date(r.valid_from).toISOString(), boundary: cellToBoundary(r.region) as Array<[number, number]> }));
  }
}
