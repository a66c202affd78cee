import { useId } from 'react';

export interface Bar {
  label: string;
  /** Stacked parts, e.g. input and output tokens. */
  values: [number, number];
}

interface Props {
  title: string;
  bars: Bar[];
  seriesNames: [string, string];
  orientation: 'vertical' | 'horizontal';
}

const format = new Intl.NumberFormat();

/**
 * A small stacked bar chart drawn as SVG, with the same numbers in a table for screen readers and
 * for anyone who wants the exact values.
 */
export function BarChart({ title, bars, seriesNames, orientation }: Props) {
  const id = useId();
  const max = Math.max(1, ...bars.map((b) => b.values[0] + b.values[1]));
  const total = bars.reduce((sum, b) => sum + b.values[0] + b.values[1], 0);

  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>{title}</figcaption>
      {bars.length === 0 ? (
        <p className="muted">No usage in this period.</p>
      ) : orientation === 'vertical' ? (
        <VerticalBars bars={bars} max={max} label={`${title}: ${format.format(total)} tokens in total`} />
      ) : (
        <HorizontalBars bars={bars} max={max} label={`${title}: ${format.format(total)} tokens in total`} />
      )}
      <p className="legend" aria-hidden="true">
        <span className="swatch swatch-0" /> {seriesNames[0]} <span className="swatch swatch-1" /> {seriesNames[1]}
      </p>
      {bars.length > 0 && (
        <details>
          <summary>Show as table</summary>
          <table>
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">{seriesNames[0]}</th>
                <th scope="col">{seriesNames[1]}</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {bars.map((b) => (
                <tr key={b.label}>
                  <th scope="row">{b.label}</th>
                  <td>{format.format(b.values[0])}</td>
                  <td>{format.format(b.values[1])}</td>
                  <td>{format.format(b.values[0] + b.values[1])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}

function VerticalBars({ bars, max, label }: { bars: Bar[]; max: number; label: string }) {
  const width = 600;
  const height = 180;
  const gap = 2;
  const barWidth = Math.max(2, width / bars.length - gap);
  const labelEvery = Math.ceil(bars.length / 8);
  return (
    <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={label} className="chart-svg">
      {bars.map((b, i) => {
        const x = i * (barWidth + gap);
        const h0 = (b.values[0] / max) * height;
        const h1 = (b.values[1] / max) * height;
        return (
          <g key={b.label}>
            <title>{`${b.label}: ${format.format(b.values[0])} + ${format.format(b.values[1])}`}</title>
            <rect className="bar-0" x={x} y={height - h0} width={barWidth} height={h0} />
            <rect className="bar-1" x={x} y={height - h0 - h1} width={barWidth} height={h1} />
            {i % labelEvery === 0 && (
              <text x={x} y={height + 14} className="axis-label">
                {b.label.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

function HorizontalBars({ bars, max, label }: { bars: Bar[]; max: number; label: string }) {
  const rowHeight = 26;
  const labelWidth = 140;
  const width = 600;
  const plot = width - labelWidth - 70;
  return (
    <svg viewBox={`0 0 ${width} ${bars.length * rowHeight}`} role="img" aria-label={label} className="chart-svg">
      {bars.map((b, i) => {
        const y = i * rowHeight;
        const w0 = (b.values[0] / max) * plot;
        const w1 = (b.values[1] / max) * plot;
        return (
          <g key={b.label}>
            <title>{`${b.label}: ${format.format(b.values[0])} + ${format.format(b.values[1])}`}</title>
            <text x={0} y={y + 17} className="axis-label">
              {b.label.length > 18 ? `${b.label.slice(0, 17)}…` : b.label}
            </text>
            <rect className="bar-0" x={labelWidth} y={y + 4} width={w0} height={rowHeight - 8} />
            <rect className="bar-1" x={labelWidth + w0} y={y + 4} width={w1} height={rowHeight - 8} />
            <text x={labelWidth + w0 + w1 + 6} y={y + 17} className="axis-label">
              {format.format(b.values[0] + b.values[1])}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
