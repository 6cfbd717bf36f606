import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { FaceCaptureWorker } from './face-capture-worker.service';
import { FaceCapturesRepository } from './face-captures.repository';
import { FaceRecognitionService } from './face-recognition.service';
import { FaceSearchService } from './face-search.service';
import { FacesController } from './faces.controller';
import { FacesMetrics } from './faces.metrics';
import { FacesService } from './faces.service';
import { WatchlistController } from './watchlist.controller';
import { WatchlistRepository } from './watchlist.repository';
import { WatchlistService } from './watchlist.service';
import { DevicesModule } from '../devices/devices.module';

/**
 * Faces: recognition of stored face captures (ONNX), the person watchlist (布控) and its alerts, search by
 * face (以脸搜脸), capture and enrolled images. Unmatched captures' retention is registered by the audit
 * module (RETENTION_UNMATCHED_FACES_DAYS); this module marks hit captures `matched`.
 */
@Module({
  imports: [
    DevicesModule,
    MulterModule.registerAsync({
      inject: [HUB_CONFIG],
      useFactory: (config: HubConfig) => ({
        storage: memoryStorage(),
        limits: { fileSize: config.FACE_UPLOAD_MAX_BYTES, files: 10, fields: 30, fieldSize: 20_000 },
      }),
    }),
  ],
  controllers: [WatchlistController, FacesController],
  providers: [
    FacesService,
    FacesMetrics,
    FaceRecognitionService,
    FaceCapturesRepository,
    FaceCaptureWorker,
    FaceSearchService,
    WatchlistService,
    WatchlistRepository,
  ],
  exports: [FacesService],
})
export class FacesModule {}
