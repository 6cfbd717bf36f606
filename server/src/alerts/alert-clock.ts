import { Injectable } from '@nestjs/common';

/** The time the alerts module works with; tests replace `now` to move time forward. */
@Injectable()
export class AlertClock {
  now(): Date {
    return new Date();
  }
}
