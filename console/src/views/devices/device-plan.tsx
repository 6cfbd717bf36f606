import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

export interface PlanPoint {
  id: string;
  lat: number;
  lon: number;
  label: string;
  /** ok (online), down (offline), or a plain marker. */
  tone: 'ok' | 'down' | 'plain' | 'accent';
}

const WIDTH = 1000;
const HEIGHT = 600;
const MARGIN = 40;

/**
 * A plan of positions drawn from latitude and longitude on a plain grid (no map tiles can be reached from
 * the control room): equirectangular, scaled to fit the points, north up. `path` joins points in order
 * (a trajectory).
 */
export function DevicePlan({
  points,
  path,
  selectedId,
  onSelect,
  label,
}: {
  points: readonly PlanPoint[];
  path?: readonly { lat: number; lon: number }[];
  selectedId?: string;
  onSelect?: (id: string) => void;
  label: string;
}) {
  const { t } = useTranslation();
  const project = useMemo(() => projection([...points, ...(path ?? [])]), [points, path]);
  if (points.length === 0) return <p className="muted">{t('devicesPage.planEmpty')}</p>;
  return (
    <svg className="plan" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
      {Array.from({ length: 9 }, (_, i) => (
        <line
          key={`v${i}`}
          className="plan__grid"
          x1={(WIDTH / 10) * (i + 1)}
          x2={(WIDTH / 10) * (i + 1)}
          y1={0}
          y2={HEIGHT}
        />
      ))}
      {Array.from({ length: 5 }, (_, i) => (
        <line
          key={`h${i}`}
          className="plan__grid"
          y1={(HEIGHT / 6) * (i + 1)}
          y2={(HEIGHT / 6) * (i + 1)}
          x1={0}
          x2={WIDTH}
        />
      ))}
      <text className="plan__north" x={WIDTH - 30} y={30}>
        N ↑
      </text>
      {path && path.length > 1 ? (
        <polyline className="plan__path" points={path.map((p) => project(p).join(',')).join(' ')} />
      ) : null}
      {points.map((point) => {
        const [x, y] = project(point);
        return (
          <g
            key={point.id}
            className={`plan__point plan__point--${point.tone}${point.id === selectedId ? ' plan__point--selected' : ''}`}
            transform={`translate(${x},${y})`}
            onClick={onSelect ? () => onSelect(point.id) : undefined}
          >
            <circle r={point.id === selectedId ? 11 : 7} />
            <title>{point.label}</title>
          </g>
        );
      })}
    </svg>
  );
}

function projection(
  points: readonly { lat: number; lon: number }[],
): (p: { lat: number; lon: number }) => [number, number] {
  if (points.length === 0) return () => [WIDTH / 2, HEIGHT / 2];
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  const minLat = Math.min(...lats);
  const maxLat = Math.max(...lats);
  const minLon = Math.min(...lons);
  const maxLon = Math.max(...lons);
  // A degree of longitude is shorter than one of latitude away from the equator.
  const lonScale = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLon - minLon) * lonScale, 1e-6);
  const spanY = Math.max(maxLat - minLat, 1e-6);
  const scale = Math.min((WIDTH - 2 * MARGIN) / spanX, (HEIGHT - 2 * MARGIN) / spanY);
  const offsetX = (WIDTH - spanX * scale) / 2;
  const offsetY = (HEIGHT - spanY * scale) / 2;
  return (p) => [
    Math.round(offsetX + (p.lon - minLon) * lonScale * scale),
    Math.round(HEIGHT - (offsetY + (p.lat - minLat) * scale)),
  ];
}
