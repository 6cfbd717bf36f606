import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import type { Response } from 'express';
import {
  PassageExportQuery,
  PassageSearchQuery,
  StatisticsQuery,
  TrajectoryQuery,
  type HourlyStatistics,
  type PassageRecord,
  type PassageSearchResult,
  type PeakHour,
  type SessionUser,
  type SpeedBucket,
  type TopPlate,
  type Trajectory,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { SearchRateLimit } from '../auth/rate-limits';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { PassageSearchService } from './passage-search.service';

const EventIdParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$' });

/** History search, export, trajectories and statistics over checkpoint passages. */
@Controller('api/checkpoints')
export class PassagesController {
  constructor(private readonly search: PassageSearchService) {}

  @Get('passages')
  @Roles('admin', 'traffic_police')
  @SearchRateLimit()
  find(
    @Query(new TypeBoxPipe(PassageSearchQuery, { convert: true })) query: PassageSearchQuery,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<PassageSearchResult> {
    return this.search.search(query, { user, ip });
  }

  @Get('passages/export.csv')
  @Roles('admin', 'traffic_police')
  @SearchRateLimit()
  export(
    @Query(new TypeBoxPipe(PassageExportQuery, { convert: true })) query: PassageExportQuery,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
    @Res() response: Response,
  ): Promise<void> {
    return this.search.export(query, { user, ip }, response);
  }

  /** One passage, for alert evidence. */
  @Get('passages/:eventId')
  @Roles('admin', 'traffic_police', 'operator')
  passage(@Param('eventId', new TypeBoxPipe(EventIdParam)) eventId: string): Promise<PassageRecord> {
    return this.search.passage(eventId);
  }

  @Get('trajectory')
  @Roles('admin', 'traffic_police')
  @SearchRateLimit()
  trajectory(
    @Query(new TypeBoxPipe(TrajectoryQuery, { convert: true })) query: TrajectoryQuery,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<Trajectory> {
    return this.search.trajectory(query, { user, ip });
  }

  @Get('statistics/hourly')
  @Roles('admin', 'traffic_police', 'operator', 'viewer')
  hourly(
    @Query(new TypeBoxPipe(StatisticsQuery, { convert: true })) query: StatisticsQuery,
  ): Promise<HourlyStatistics> {
    return this.search.hourly(query);
  }

  @Get('statistics/speeds')
  @Roles('admin', 'traffic_police', 'operator', 'viewer')
  speeds(@Query(new TypeBoxPipe(StatisticsQuery, { convert: true })) query: StatisticsQuery): Promise<SpeedBucket[]> {
    return this.search.speeds(query);
  }

  @Get('statistics/peak-hours')
  @Roles('admin', 'traffic_police', 'operator', 'viewer')
  peakHours(@Query(new TypeBoxPipe(StatisticsQuery, { convert: true })) query: StatisticsQuery): Promise<PeakHour[]> {
    return this.search.peakHours(query);
  }

  @Get('statistics/top-plates')
  @Roles('admin', 'traffic_police')
  @SearchRateLimit()
  topPlates(
    @Query(new TypeBoxPipe(StatisticsQuery, { convert: true })) query: StatisticsQuery,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<TopPlate[]> {
    return this.search.topPlates(query, { user, ip });
  }
}
