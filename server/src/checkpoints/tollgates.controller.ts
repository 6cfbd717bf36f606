import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import {
  ROLES,
  TollgateBody,
  TollgateCreateBody,
  TravelTimesBody,
  type SessionUser,
  type TollgateRecord,
  type TravelTime,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { TollgatesService } from './tollgates.service';

const TollgateIdParam = new TypeBoxPipe(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }));

/** Tollgates (卡口) and their lanes; travel times between them. Everyone reads, administrators write. */
@Controller('api/tollgates')
export class TollgatesController {
  constructor(private readonly tollgates: TollgatesService) {}

  // Travel-time routes come first: "travel-times" would also pass as a tollgate id.
  @Get('travel-times')
  @Roles(...ROLES)
  travelTimes(): Promise<TravelTime[]> {
    return this.tollgates.travelTimes();
  }

  @Put('travel-times')
  @Roles('admin')
  setTravelTimes(
    @Body(new TypeBoxPipe(TravelTimesBody)) body: TravelTimesBody,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<{ stored: number }> {
    return this.tollgates.setTravelTimes(body, user, ip);
  }

  @Delete('travel-times/:from/:to')
  @Roles('admin')
  @HttpCode(204)
  removeTravelTime(
    @Param('from', TollgateIdParam) from: string,
    @Param('to', TollgateIdParam) to: string,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.tollgates.removeTravelTime(from, to, user, ip);
  }

  @Get()
  @Roles(...ROLES)
  list(): Promise<TollgateRecord[]> {
    return this.tollgates.list();
  }

  @Get(':id')
  @Roles(...ROLES)
  get(@Param('id', TollgateIdParam) id: string): Promise<TollgateRecord> {
    return this.tollgates.get(id);
  }

  @Post()
  @Roles('admin')
  create(
    @Body(new TypeBoxPipe(TollgateCreateBody)) body: TollgateCreateBody,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<TollgateRecord> {
    return this.tollgates.create(body, user, ip);
  }

  @Put(':id')
  @Roles('admin')
  update(
    @Param('id', TollgateIdParam) id: string,
    @Body(new TypeBoxPipe(TollgateBody)) body: TollgateBody,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<TollgateRecord> {
    return this.tollgates.update(id, body, user, ip);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  remove(
    @Param('id', TollgateIdParam) id: string,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.tollgates.remove(id, user, ip);
  }
}
