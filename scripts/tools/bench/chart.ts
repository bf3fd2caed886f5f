import type { InProcessResult } from "./phases/in-process.js";

interface Segment {
  label: string;
  ms: number;
  color: string;
}

interface Bar {
  label: string;
  segments: Segment[];
}

const colors = {
  decode: "#4e79a7",
  fill: "#76b7b2",
  inference: "#f28e2b",
  parse: "#59a14f",
  respond: "#b07aa1",
  floorDecode: "#a0cbe8",
  floorInference: "#ffbe7d",
  peer: "#9c9c9c",
};

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Mean phase times per image (means add up, medians do not): ours (stacked by phase), the floor, the peer. */
export function latencyBars(result: InProcessResult): { image: string; bars: Bar[] }[] {
  const fill = result.tensorFill.mean;
  return result.images.map((image) => ({
    image: image.id,
    bars: [
      {
        label: "ours",
        segments: [
          { label: "decode + resize", ms: Math.max(0, image.handler.decode.mean - fill), color: colors.decode },
          { label: "tensor fill", ms: fill, color: colors.fill },
          { label: "inference", ms: image.handler.inference.mean, color: colors.inference },
          { label: "parse + postprocess + JSON", ms: image.handler.parseAndPostprocess.mean, color: colors.parse },
          { label: "respond + log", ms: image.handler.respondAndLog.mean, color: colors.respond },
        ],
      },
      {
        label: "floor",
        segments: [
          { label: "bare sharp decode-to-224", ms: image.floorDecode.mean, color: colors.floorDecode },
          { label: "bare session.run", ms: Math.max(0, image.floorEndToEnd.mean - image.floorDecode.mean), color: colors.floorInference },
        ],
      },
      { label: "transformers.js", segments: [{ label: "transformers.js pipeline (total)", ms: image.peer.e2e.mean, color: colors.peer }] },
    ],
  }));
}

/** A hand-written SVG of horizontal stacked bars (median ms by phase), no plotting library. */
export function latencySvg(result: InProcessResult, title: string): string {
  const groups = latencyBars(result);
  const left = 150;
  const right = 40;
  const plotWidth = 620;
  const barHeight = 16;
  const barGap = 4;
  const groupGap = 18;
  const top = 52;
  const maxMs = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.segments.reduce((sum, s) => sum + s.ms, 0))));
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((s) => maxMs / s <= 8) ?? 1000;
  const axisMax = Math.ceil(maxMs / step) * step;
  const x = (ms: number) => left + (ms / axisMax) * plotWidth;

  const parts: string[] = [];
  let y = top;
  for (const group of groups) {
    parts.push(`<text x="8" y="${y + 10}" class="group">${escape(group.image)}</text>`);
    y += 16;
    for (const bar of group.bars) {
      parts.push(`<text x="${left - 6}" y="${y + barHeight - 4}" class="bar" text-anchor="end">${escape(bar.label)}</text>`);
      let at = 0;
      for (const segment of bar.segments) {
        if (segment.ms <= 0) continue;
        parts.push(
          `<rect x="${x(at).toFixed(1)}" y="${y}" width="${Math.max(0.5, x(at + segment.ms) - x(at)).toFixed(1)}" height="${barHeight}" fill="${segment.color}"><title>${escape(`${bar.label}: ${segment.label} ${segment.ms.toFixed(2)} ms`)}</title></rect>`,
        );
        at += segment.ms;
      }
      parts.push(`<text x="${(x(at) + 4).toFixed(1)}" y="${y + barHeight - 4}" class="value">${at.toFixed(1)}</text>`);
      y += barHeight + barGap;
    }
    y += groupGap;
  }
  const axisY = y - groupGap + 4;
  const ticks: string[] = [];
  for (let ms = 0; ms <= axisMax; ms += step) {
    ticks.push(`<line x1="${x(ms)}" y1="${top - 6}" x2="${x(ms)}" y2="${axisY}" class="grid"/>`);
    ticks.push(`<text x="${x(ms)}" y="${axisY + 14}" class="tick" text-anchor="middle">${ms}</text>`);
  }
  const legendItems = [
    ["decode + resize", colors.decode],
    ["tensor fill", colors.fill],
    ["inference", colors.inference],
    ["parse + post + JSON", colors.parse],
    ["respond + log", colors.respond],
    ["bare decode", colors.floorDecode],
    ["bare session.run", colors.floorInference],
    ["transformers.js", colors.peer],
  ];
  const legendY = axisY + 34;
  const legend = legendItems.map(([label, color], i) => {
    const lx = 8 + (i % 4) * 200;
    const ly = legendY + Math.floor(i / 4) * 18;
    return `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}"/><text x="${lx + 17}" y="${ly}" class="legend">${escape(label!)}</text>`;
  });
  const height = legendY + 2 * 18 + 8;
  const width = left + plotWidth + right;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    "<style>.group{font-size:12px;font-weight:bold}.bar,.value,.tick,.legend{font-size:11px}.grid{stroke:#ddd;stroke-width:1}.title{font-size:14px;font-weight:bold}.axis{font-size:11px}</style>",
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="8" y="20" class="title">${escape(title)}</text>`,
    `<text x="${left + plotWidth}" y="36" class="axis" text-anchor="end">mean ms per image; hover a bar for its value</text>`,
    ...ticks,
    ...parts,
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}
