import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useHubApi } from '../context/session-context';

/**
 * An image from the hub. `/api/...` images need the access token, which an <img> cannot send, so they are
 * fetched through the REST client and shown from a blob; data: and other URLs are shown as they are.
 */
export function AuthImage({ src, alt, className }: { src: string; alt: string; className?: string }) {
  const { t } = useTranslation();
  const api = useHubApi();
  const needsToken = src.startsWith('/api/');
  const [url, setUrl] = useState<string | undefined>(needsToken ? undefined : src);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (!needsToken) {
      setUrl(src);
      return;
    }
    let objectUrl: string | undefined;
    const controller = new AbortController();
    api.raw
      .get<Blob>(src.slice('/api'.length), { responseType: 'blob', signal: controller.signal })
      .then((blob) => {
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch(() => {
        if (!controller.signal.aborted) setFailed(true);
      });
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [api, src, needsToken]);

  if (failed) return <span className={`image-missing ${className ?? ''}`}>{t('common.imageUnavailable')}</span>;
  if (!url) return <span className={`image-missing ${className ?? ''}`}>{t('app.loading')}</span>;
  return <img className={className} src={url} alt={alt} onError={() => setFailed(true)} />;
}
