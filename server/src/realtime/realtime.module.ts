import { Module } from '@nestjs/common';
import { AlertsGateway } from './alerts.gateway';
import { LiveGateway } from './live.gateway';

@Module({ providers: [LiveGateway, AlertsGateway] })
export class RealtimeModule {}
