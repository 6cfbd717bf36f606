import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  StreamableFile,
  UploadedFiles,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common';
import { FilesInterceptor } from '@nestjs/platform-express';
import { Type } from '@sinclair/typebox';
import {
  WatchlistListQuery,
  WatchlistPersonPatch,
  type SessionUser,
  type WatchlistPage,
  type WatchlistPerson,
  type WatchlistPersonBody,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { UploadRateLimit } from '../auth/rate-limits';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { WatchlistFieldsPipe } from './dto/watchlist-fields.pipe';
import { FaceUploadErrorsFilter } from './face-upload-errors.filter';
import { WatchlistService, type UploadedPhoto } from './watchlist.service';

const IdParam = new TypeBoxPipe(Type.String({ pattern: '^[0-9]{1,18}$' }));
/** Who may see face images (capture and enrolled): those who work face alerts. */
export const FACE_IMAGE_ROLES = ['admin', 'operator', 'traffic_police', 'department_member'] as const;
const jpeg = (image: Buffer) => new StreamableFile(image, { type: 'image/jpeg', disposition: 'inline' });

/** The person watchlist (布控): administrators manage it, operators read it. */
@Controller('api/faces/watchlist')
export class WatchlistController {
  constructor(private readonly watchlist: WatchlistService) {}

  @Get('people')
  @Roles('admin', 'operator')
  list(
    @Query(new TypeBoxPipe(WatchlistListQuery, { convert: true })) query: WatchlistListQuery,
  ): Promise<WatchlistPage> {
    return this.watchlist.list(query);
  }

  @Get('people/:id')
  @Roles('admin', 'operator')
  get(@Param('id', IdParam) id: string): Promise<WatchlistPerson> {
    return this.watchlist.get(id);
  }

  /** multipart/form-data: the person's fields as text parts, one to ten `photo` file parts. */
  @Post('people')
  @Roles('admin')
  @UploadRateLimit()
  @UseFilters(FaceUploadErrorsFilter)
  @UseInterceptors(FilesInterceptor('photo', 10))
  create(
    @Body(new WatchlistFieldsPipe()) body: WatchlistPersonBody,
    @UploadedFiles() files: UploadedPhoto[] | undefined,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<WatchlistPerson> {
    return this.watchlist.create(body, files ?? [], { user, ip });
  }

  /** Edits fields; `enabled: false` disables the person (kept, not matched). */
  @Patch('people/:id')
  @Roles('admin')
  update(
    @Param('id', IdParam) id: string,
    @Body(new TypeBoxPipe(WatchlistPersonPatch)) patch: WatchlistPersonPatch,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<WatchlistPerson> {
    return this.watchlist.update(id, patch, { user, ip });
  }

  @Delete('people/:id')
  @HttpCode(204)
  @Roles('admin')
  remove(
    @Param('id', IdParam) id: string,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.watchlist.remove(id, { user, ip });
  }

  @Post('people/:id/photos')
  @Roles('admin')
  @UploadRateLimit()
  @UseFilters(FaceUploadErrorsFilter)
  @UseInterceptors(FilesInterceptor('photo', 10))
  addPhotos(
    @Param('id', IdParam) id: string,
    @UploadedFiles() files: UploadedPhoto[] | undefined,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<WatchlistPerson> {
    return this.watchlist.addPhotos(id, files ?? [], { user, ip });
  }

  @Delete('people/:id/photos/:photoId')
  @Roles('admin')
  removePhoto(
    @Param('id', IdParam) id: string,
    @Param('photoId', IdParam) photoId: string,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<WatchlistPerson> {
    return this.watchlist.removePhoto(id, photoId, { user, ip });
  }

  @Get('photos/:photoId/image')
  @Roles(...FACE_IMAGE_ROLES)
  async photo(@Param('photoId', IdParam) photoId: string): Promise<StreamableFile> {
    return jpeg(await this.watchlist.photoImage(photoId, 'image'));
  }

  @Get('photos/:photoId/thumbnail')
  @Roles(...FACE_IMAGE_ROLES)
  async photoThumbnail(@Param('photoId', IdParam) photoId: string): Promise<StreamableFile> {
    return jpeg(await this.watchlist.photoImage(photoId, 'thumbnail'));
  }
}
