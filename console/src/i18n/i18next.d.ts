import 'i18next';
import type { Messages } from './locales/zh-CN';

// Keys passed to t() are checked against the Simplified Chinese resources.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Messages };
  }
}
