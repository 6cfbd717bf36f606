import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  StreamableFile,
  UploadedFile,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { Type } from '@sinclair/typebox';
import { FaceSearchQuery, type FacePipelineStatus, type FaceSearchResult, type SessionUser } from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { SearchRateLimit } from '../auth/rate-limits';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { FaceSearchService } from './face-search.service';
import { FaceUploadErrorsFilter } from './face-upload-errors.filter';
import { FacesService } from './faces.service';
import type { UploadedPhoto } from './watchlist.service';
import { FACE_IMAGE_ROLES } from './watchlist.controller';

const EventIdParam = new TypeBoxPipe(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$' }));
const jpeg = (image: Buffer) => new StreamableFile(image, { type: 'image/jpeg', disposition: 'inline' });

/** Face captures, search by face, and the pipeline's state. */
@Controller('api/faces')
export class FacesController {
  constructor(
    private readonly search: FaceSearchService,
    private readonly faces: FacesService,
  ) {}

  /** multipart/form-data: a `photo` file part and FaceSearchQuery's fields as text parts. */
  @Post('search')
  @HttpCode(200)
  @Roles('admin', 'operator', 'traffic_police')
  @SearchRateLimit()
  @UseFilters(FaceUploadErrorsFilter)
  @UseInterceptors(FileInterceptor('photo'))
  searchByFace(
    @Body(new TypeBoxPipe(FaceSearchQuery, { convert: true })) query: FaceSearchQuery,
    @UploadedFile() file: UploadedPhoto | undefined,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<FaceSearchResult> {
    return this.search.search(file, query, { user, ip });
  }

  @Get('captures/:eventId/image')
  @Roles(...FACE_IMAGE_ROLES)
  async captureImage(@Param('eventId', EventIdParam) eventId: string): Promise<StreamableFile> {
    return jpeg(await this.search.captureImage(eventId, 'face'));
  }

  @Get('captures/:eventId/thumbnail')
  @Roles(...FACE_IMAGE_ROLES)
  async captureThumbnail(@Param('eventId', EventIdParam) eventId: string): Promise<StreamableFile> {
    return jpeg(await this.search.captureImage(eventId, 'thumbnail'));
  }

  @Get('status')
  @Roles('admin', 'operator')
  status(): Promise<FacePipelineStatus> {
    return this.faces.status();
  }
}
